"""Bytes <-> messages. Signing keys are per kiosk; the hub signs acks with the same key."""

from __future__ import annotations

import json
from collections.abc import Callable
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


def load_object(payload: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedPayload(f"not JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise MalformedPayload("a message must be a JSON object")
    version = obj.get("v")
    if version != PROTOCOL_VERSION:
        raise UnsupportedVersion(f"schema version {version!r} is not supported (need 1)")
    return obj


def _signed(payload: bytes, model: type[M], keys: KeyLookup) -> M:
    obj = load_object(payload)
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
    try:
        # strict: "1", 1.0 or true are not integers, and a number is not a timestamp
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        raise MalformedPayload(_explain(exc), authentic=True) from exc


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
