"""The wire decoders on both sides, fed random bytes, random JSON and mutations of real signed
messages: whatever comes in, the answer is a message or a WireError saying what is wrong, never
another exception (which would take down the hub's ingest batch or the kiosk's MQTT thread).
And a message is called authentic only when its signature really checks out.

A few hundred examples each; CAGEKEEPER_EXAMPLES=5000 for a long hunt.
"""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.events import checkout_event
from wire import (
    AckBatch,
    AckResult,
    BadSignature,
    CustodyEvent,
    MalformedPayload,
    WireError,
    decode_ack,
    decode_event,
    encode_ack,
    encode_event,
)
from wire.codec import load_object
from wire.signing import sign

KEY = bytes(range(32))
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EVENT = checkout_event("cage-1", 7, AT, "CAM-001")
SIGNED = encode_event(EVENT, KEY)
DECODED = EVENT.model_copy(update={"sig": json.loads(SIGNED)["sig"]})
ACK = encode_ack(
    AckBatch(kiosk="cage-1", acks=[{"id": EVENT.id, "seq": 7, "result": AckResult.COMMITTED}]),
    KEY,
)

fuzz = settings(
    max_examples=int(os.environ.get("CAGEKEEPER_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and the infinities too: json.dumps writes them
    | st.text()
    | st.sampled_from(["", "\ud800", "é" * 64, "2026-03-02T09:30:00Z", "9999-12-31T23:59:59-01:00"])
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [*json.loads(SIGNED), "extra"]


def keys(kiosk: str) -> bytes | None:
    return KEY if kiosk == "cage-1" else None


def decoded(payload: bytes) -> CustodyEvent | WireError:
    try:
        return decode_event(payload, keys)
    except WireError as exc:
        return exc


def authentic(obj: dict[str, Any]) -> bool:
    return isinstance(obj.get("sig"), str) and sign(KEY, obj) == obj["sig"]


@fuzz
@given(st.binary(max_size=512))
@example(b"\xef\xbb\xbf{}")
@example(b'{"v":1,"kiosk":"cage-1","sig":"\xc3\xa9"}')
@example(b"[" * 100_000)
@example(b'{"v":1,"kiosk":"cage-1","n":' + b"9" * 5000 + b"}")
def test_random_bytes_are_refused_with_a_wire_error(payload: bytes) -> None:
    assert isinstance(decoded(payload), WireError | CustodyEvent)
    with contextlib.suppress(WireError):
        decode_ack(payload, KEY)
    with contextlib.suppress(WireError):
        load_object(payload)


@fuzz
@given(json_values)
def test_random_json_is_refused_with_a_wire_error(value: Any) -> None:
    try:
        payload = json.dumps(value).encode()
    except ValueError:  # an integer too long for Python to write: the bytes test has one
        return
    result = decoded(payload)
    assert isinstance(result, WireError), result  # nothing random passes the signature
    assert not (isinstance(result, MalformedPayload) and result.authentic)


@fuzz
@given(st.sampled_from(FIELDS), json_values, st.booleans())
@example("sig", "é" * 64, False)
@example("at", "\ud800", True)
def test_a_changed_field_is_decoded_or_refused_and_authentic_only_when_signed(
    field: str, value: Any, resign: bool
) -> None:
    """A field set to any JSON value: without a new signature the message is refused as not
    authentic (unless nothing changed); signed again with the kiosk's key, it decodes or is
    refused as authentic, so the hub tells the kiosk why."""
    obj = json.loads(SIGNED)
    obj[field] = value
    if resign:
        try:
            obj["sig"] = sign(KEY, obj)
        except (UnicodeEncodeError, ValueError):  # a value even the sender cannot sign
            return
    try:
        payload = json.dumps(obj, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        payload = json.dumps(obj).encode()  # a lone surrogate goes as an escape
    except ValueError:  # an integer too long for Python to write: the bytes test has one
        return
    result = decoded(payload)
    if isinstance(result, CustodyEvent):
        assert authentic(obj)
    elif isinstance(result, MalformedPayload) and result.authentic:
        assert resign or field == "sig" or json.loads(SIGNED).get(field) == value


@fuzz
@given(st.data())
def test_damaged_bytes_of_a_signed_message_are_never_taken_for_another_event(
    data: st.DataObject,
) -> None:
    """Bytes cut, flipped or inserted anywhere: refused, or (a change JSON does not see, such as
    whitespace) the very same event."""
    payload = bytearray(SIGNED)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(payload)))
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if kind == "flip" and at < len(payload):
            payload[at] ^= data.draw(st.integers(1, 255))
        elif kind == "cut":
            del payload[at : at + data.draw(st.integers(1, 16))]
        else:
            payload[at:at] = data.draw(st.binary(min_size=1, max_size=8))
    result = decoded(bytes(payload))
    if isinstance(result, CustodyEvent):
        assert result == DECODED
    damaged = bytearray(ACK)  # and an ack, as the kiosk reads it
    damaged[data.draw(st.integers(0, len(ACK) - 1))] ^= data.draw(st.integers(1, 255))
    with contextlib.suppress(WireError):
        assert decode_ack(bytes(damaged), KEY) == decode_ack(ACK, KEY)


def test_the_unchanged_messages_decode() -> None:
    assert decode_event(SIGNED, keys) == DECODED
    assert decode_ack(ACK, KEY).acks[0].id == EVENT.id
    assert EVENT.due == AT + timedelta(hours=48)


def test_what_the_fuzzing_found_is_refused_as_the_protocol_says() -> None:
    """Two payloads that once raised something other than a WireError (docs/protocol.md 7.1)."""
    huge = b'{"v":1,"kiosk":"cage-1","seq":' + b"9" * 4301 + b"}"
    with pytest.raises(MalformedPayload, match="not JSON this side reads"):
        decode_event(huge, keys)
    accented = json.loads(SIGNED) | {"sig": "é" * 64}
    with pytest.raises(BadSignature, match="signature check failed"):
        decode_event(json.dumps(accented).encode(), keys)
    with pytest.raises(BadSignature):
        decode_ack(json.dumps(json.loads(ACK) | {"sig": "é"}).encode(), KEY)
