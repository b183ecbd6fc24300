"""Bytes <-> messages. Signing keys are per kiosk; the hub signs acks with the same key."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from wire.errors import BadSignature, MalformedPayload, UnknownKiosk, UnsupportedVersion
from wire.messages import PROTOCOL_VERSION, AckBatch, CustodyEvent
from wire.signing import sign, verify

KeyLookup = Callable[[str], bytes | None]
M = TypeVar("M", bound=BaseModel)


def _to_wire(model: BaseModel, key: bytes) -> bytes:
    body = model.model_dump(mode="json", exclude_none=True, exclude={"sig"})
    body["sig"] = sign(key, body)
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def encode_event(event: CustodyEvent, key: bytes) -> bytes:
    return _to_wire(event, key)


def encode_ack(batch: AckBatch, key: bytes) -> bytes:
    return _to_wire(batch, key)


@dataclass(frozen=True)
class RepeatedKey:
    """A key written more than once in one JSON object; ``same``: every copy has one value."""

    key: str
    same: bool


def parse_json(payload: bytes) -> tuple[Any, list[RepeatedKey]]:
    """Parse UTF-8 JSON (no byte order mark) and list every key one object holds twice.

    Python keeps the last copy of a repeated key and other readers the first, so such a message
    means different things to different parsers; the caller decides what to refuse.
    """
    repeats: list[RepeatedKey] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):  # rare: look for which keys, off the fast path
            seen: dict[str, Any] = {}
            for key, value in items:
                if key in seen:
                    repeats.append(RepeatedKey(key, _same(seen[key], value)))
                seen[key] = value
        return obj

    try:
        text = payload.decode("utf-8")
        return json.loads(text, object_pairs_hook=pairs), repeats
    except UnicodeDecodeError as exc:
        raise MalformedPayload(f"not JSON: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise MalformedPayload(f"not JSON: {exc}") from exc
    except ValueError as exc:  # an integer longer than Python converts (4,300 digits)
        raise MalformedPayload(f"not JSON this side reads: {exc}") from exc
    except RecursionError as exc:
        raise MalformedPayload("not JSON this side reads: nested too deeply") from exc


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON: 1, 1.0 and true are three different values here."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _repeated(repeats: list[RepeatedKey]) -> str:
    keys = ", ".join(sorted({repr(r.key) for r in repeats})[:3])
    if all(r.same for r in repeats):
        return f"duplicate JSON key {keys} (repeated with the same value): send each key once"
    return f"duplicate JSON key {keys} with different values: readers disagree on what it says"


def _object(payload: bytes) -> tuple[dict[str, Any], list[RepeatedKey]]:
    obj, repeats = parse_json(payload)
    if not isinstance(obj, dict):
        raise MalformedPayload("a message must be a JSON object")
    version = obj.get("v")
    if version != PROTOCOL_VERSION:
        raise UnsupportedVersion(f"schema version {version!r} is not supported (need 1)")
    return obj, repeats


def load_object(payload: bytes, *, same_repeats_ok: bool = False) -> dict[str, Any]:
    """A v1 message as a JSON object; a key written twice is refused.

    ``same_repeats_ok`` lets through keys repeated with one value (every reader agrees on
    them): the hub uses it only to address the rejection of a message already proven authentic.
    """
    obj, repeats = _object(payload)
    if repeats and not (same_repeats_ok and all(r.same for r in repeats)):
        raise MalformedPayload(_repeated(repeats))
    return obj


def _signed(payload: bytes, model: type[M], keys: KeyLookup) -> M:
    obj, repeats = _object(payload)
    if any(not r.same for r in repeats):
        # Not provably authentic: anyone can add an earlier copy of a key to a signed message
        # and the signature still checks out over the copy Python keeps.
        raise MalformedPayload(_repeated(repeats))
    kiosk = obj.get("kiosk")
    if not isinstance(kiosk, str):
        raise MalformedPayload("field 'kiosk' is missing or not a string")
    key = keys(kiosk)
    if key is None:
        raise UnknownKiosk(f"no signing key is known for kiosk {kiosk!r}")
    try:
        authentic = verify(key, obj)
    except UnicodeEncodeError as exc:  # a lone surrogate escape such as "\ud800"
        raise MalformedPayload("a string holds an unpaired UTF-16 surrogate") from exc
    if not authentic:
        raise BadSignature(f"signature check failed for a message from kiosk {kiosk!r}")
    if repeats:  # signed, and every reader sees the same values: the sender may be told
        raise MalformedPayload(_repeated(repeats), authentic=True)
    try:
        # strict: "1", 1.0 or true are not integers, and a number is not a timestamp
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise MalformedPayload(_explain(exc), authentic=True) from exc
    except OverflowError as exc:  # a valid local time that has no UTC form within years 1-9999
        raise MalformedPayload(_out_of_range(obj), authentic=True) from exc


def decode_event(payload: bytes, keys: KeyLookup) -> CustodyEvent:
    """Parse, authenticate and validate one event; raises a WireError saying what is wrong."""
    return _signed(payload, CustodyEvent, keys)


def decode_ack(payload: bytes, key: bytes) -> AckBatch:
    return _signed(payload, AckBatch, lambda _kiosk: key)


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "message"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


def _out_of_range(obj: dict[str, Any]) -> str:
    """Name the timestamps whose UTC form falls outside years 1-9999."""
    names = []
    for name, value in obj.items():
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is not None:
                moment.astimezone(UTC)
        except OverflowError:
            names.append(name)
        except ValueError:
            continue
    where = ", ".join(names) or "a timestamp"
    return f"{where}: out of range once converted to UTC (before year 1 or after year 9999)"
