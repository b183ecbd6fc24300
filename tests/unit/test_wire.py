"""The wire contract: signing, decoding errors, labels, ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from wire import (
    BadSignature,
    CustodyEvent,
    EventType,
    LabelError,
    MalformedPayload,
    UnknownKiosk,
    UnsupportedVersion,
    decode_event,
    encode_event,
    parse_label,
)
from wire.ids import uuid7
from wire.signing import canonical, sign, verify

KEY = bytes(range(32))
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def event(**changes: object) -> CustodyEvent:
    base: dict[str, object] = dict(
        id=uuid7(1_700_000_000_000, bytes(10)),
        kiosk="cage-1",
        seq=1,
        at=T0,
        type=EventType.CHECKOUT,
        person="ada",
        asset="CAM-1",
        due=T0 + timedelta(hours=1),
    )
    base.update(changes)
    return CustodyEvent.model_validate(base)


def test_round_trip_and_tamper_detection() -> None:
    payload = encode_event(event(), KEY)
    assert decode_event(payload, lambda _k: KEY).asset == "CAM-1"
    tampered = payload.replace(b"CAM-1", b"CAM-2")
    with pytest.raises(BadSignature):
        decode_event(tampered, lambda _k: KEY)
    with pytest.raises(UnknownKiosk):
        decode_event(payload, lambda _k: None)


def test_signature_ignores_key_order_and_whitespace() -> None:
    obj = json.loads(encode_event(event(), KEY))
    spaced = json.dumps(dict(reversed(list(obj.items()))), indent=2).encode()
    assert decode_event(spaced, lambda _k: KEY).seq == 1
    assert canonical(obj).startswith(b'{"asset":"CAM-1","at":')
    assert verify(KEY, obj) and not verify(KEY, {**obj, "sig": "0" * 64})
    assert sign(KEY, obj) == obj["sig"]


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"nope", MalformedPayload),
        (b"[1]", MalformedPayload),
        (b'{"v": 2, "kiosk": "cage-1"}', UnsupportedVersion),
        (b'{"v": 1}', MalformedPayload),
    ],
)
def test_malformed_payloads_raise_clear_errors(payload: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        decode_event(payload, lambda _k: KEY)


def test_type_specific_fields_are_required() -> None:
    with pytest.raises(ValueError, match="needs person, due"):
        event(person=None, due=None)
    with pytest.raises(ValueError, match="due must be after at"):
        event(due=T0)
    with pytest.raises(ValueError, match="needs reason"):
        event(type=EventType.DENIED)


def test_timestamps_are_normalised_to_utc() -> None:
    e = event(at="2026-03-02T10:30:00+01:00", due="2026-03-02T12:00:00+01:00")
    assert e.at == T0 and e.at.tzinfo == UTC


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("CK1:CAM-0001", "CAM-0001"),
        ("ck1:cam-0001", "CAM-0001"),
        ("https://cage.example.edu/a/CAM-0001", "CAM-0001"),
        ("https://cage.example.edu/equipment/a/LENS.50", "LENS.50"),
    ],
)
def test_labels(raw: str, code: str) -> None:
    assert parse_label(raw) == code


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("hello world", "not a Cagekeeper label"),
        ("https://example.com/x", "not an asset label"),
        ("CK2:CAM-1", "newer format"),
        ("CK1:bad code!", "invalid asset code"),
    ],
)
def test_non_labels_say_why(raw: str, why: str) -> None:
    with pytest.raises(LabelError, match=why):
        parse_label(raw)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (
            "WIFI:S:CampusNet;T:WPA;P:hunter2-secret;;",
            "not a Cagekeeper label: WIFI:… (41 characters)",
        ),
        (
            "https://docs.example.com/share?token=abc123",
            "not an asset label: https://docs.example.com/… (43 characters)",
        ),
        ("hunter2pass", "not a Cagekeeper label: text of 11 characters"),
        ("ghp_abcdefgh12345678", "not a Cagekeeper label: text of 20 characters"),
        ("hi\x00there", "not a Cagekeeper label: text of 8 characters"),
        ("CK1:bad code!", "invalid asset code: CK1:bad code!"),
        ("CK2:CAM-1", "does not read: CK2:CAM-1"),
    ],
)
def test_a_foreign_code_is_described_without_its_secrets(raw: str, said: str) -> None:
    with pytest.raises(LabelError) as info:
        parse_label(raw)
    assert str(info.value).endswith(said)
    assert not any(secret in str(info.value) for secret in ("hunter2", "token", "abcdef"))


def test_uuid7_is_time_ordered() -> None:
    a, b = uuid7(1_000), uuid7(2_000)
    assert a < b and a[14] == "7"


def test_strict_types_and_broken_unicode_are_malformed_not_crashes() -> None:
    good = json.loads(encode_event(event(), KEY))
    for field, value in (("seq", "1"), ("seq", 1.0), ("at", 1_700_000_000)):
        body = {**good, field: value}
        body["sig"] = sign(KEY, body)
        with pytest.raises(MalformedPayload, match=field):
            decode_event(json.dumps(body).encode(), lambda _k: KEY)
    surrogate = encode_event(event(), KEY).replace(b'"person":"ada"', b'"person":"\\ud800"')
    with pytest.raises(MalformedPayload, match="surrogate"):
        decode_event(surrogate, lambda _k: KEY)


def test_only_signed_payloads_count_as_authentic_when_malformed() -> None:
    good = json.loads(encode_event(event(), KEY))
    body = {**good, "seq": "1"}
    body["sig"] = sign(KEY, body)
    with pytest.raises(MalformedPayload) as signed:
        decode_event(json.dumps(body).encode(), lambda _k: KEY)
    assert signed.value.authentic
    surrogate = encode_event(event(), KEY).replace(b'"person":"ada"', b'"person":"\\ud800"')
    with pytest.raises(MalformedPayload) as unsigned:
        decode_event(surrogate, lambda _k: KEY)
    assert not unsigned.value.authentic
