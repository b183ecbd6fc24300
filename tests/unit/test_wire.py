"""The wire contract: signing, decoding errors, labels, ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wire import (
    Ack,
    AckBatch,
    AckResult,
    BadSignature,
    CustodyEvent,
    EventType,
    LabelError,
    MalformedPayload,
    UnknownKiosk,
    UnsupportedVersion,
    decode_ack,
    decode_event,
    encode_ack,
    encode_event,
    parse_label,
)
from wire.codec import load_object, parse_json
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


# ids, repeated keys and timestamps out of range ----------------------------------------------

V4 = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b"


def _signed_body(**changes: object) -> bytes:
    """A signed event body with ``changes`` applied before signing (None removes a field)."""
    body: dict[str, object] = json.loads(encode_event(event(), KEY))
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None and k != "sig"}
    body["sig"] = sign(KEY, body)
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("event_id", "why"),
    [
        (V4, "is version 4"),
        ("01890000-0000-1000-8000-000000000001", "is version 1"),
        ("01890000-0000-7000-c000-000000000001", "variant nibble c"),
        ("01890000-0000-7000-0000-000000000001", "variant nibble 0"),
        ("01890000-0000-7000-8000-00000000000A", "should match pattern"),
    ],
)
def test_event_ids_must_be_lowercase_uuid7(event_id: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        event(id=event_id)
    # signed by its kiosk: authentic, so the hub can tell the kiosk why
    with pytest.raises(MalformedPayload, match=why) as info:
        decode_event(_signed_body(id=event_id), lambda _k: KEY)
    assert info.value.authentic


def test_acks_may_name_any_lowercase_uuid_so_a_refused_v4_id_can_be_answered() -> None:
    assert Ack(id=V4, seq=1, result=AckResult.REJECTED).id == V4
    assert event(id="01890000-0000-7000-b000-000000000001").id.startswith("0189")


def test_a_key_repeated_with_another_value_is_refused_and_not_authentic() -> None:
    good = encode_event(event(), KEY)
    # an earlier copy: Python keeps the last one, so the signature still checks out over it,
    # while a reader keeping the first sees CAM-9
    earlier = b'{"asset":"CAM-9",' + good[1:]
    later = good[:-1] + b',"asset":"CAM-9"}'
    for payload in (earlier, later):
        with pytest.raises(
            MalformedPayload, match="duplicate JSON key 'asset' with differ"
        ) as info:
            decode_event(payload, lambda _k: KEY)
        assert not info.value.authentic
        with pytest.raises(MalformedPayload, match="duplicate JSON key"):
            load_object(payload, same_repeats_ok=True)


def test_a_key_repeated_with_the_same_value_is_refused_but_authentic() -> None:
    good = encode_event(event(), KEY)
    twice = b'{"asset":"CAM-1",' + good[1:]
    with pytest.raises(MalformedPayload, match="repeated with the same value") as info:
        decode_event(twice, lambda _k: KEY)
    assert info.value.authentic
    with pytest.raises(MalformedPayload, match="duplicate JSON key 'asset'"):
        load_object(twice)
    assert load_object(twice, same_repeats_ok=True)["asset"] == "CAM-1"
    # 1, 1.0 and true are different values in JSON, though equal in Python
    for other in (b"1.0", b"true"):
        with pytest.raises(MalformedPayload, match="different values") as info:
            decode_event(b'{"seq":' + other + b"," + good[1:], lambda _k: KEY)
        assert not info.value.authentic
    forged = b'{"asset":"CAM-2",' + good[1:].replace(b"CAM-1", b"CAM-2")  # same, but altered
    with pytest.raises(BadSignature):
        decode_event(forged, lambda _k: KEY)


def test_repeated_keys_are_found_at_any_depth() -> None:
    batch = AckBatch(kiosk="cage-1", acks=[Ack(id=V4, seq=1, result=AckResult.COMMITTED)])
    payload = encode_ack(batch, KEY).replace(b'"seq":1', b'"seq":1,"seq":2')
    with pytest.raises(MalformedPayload, match="duplicate JSON key 'seq'"):
        decode_ack(payload, KEY)
    assert [(r.key, r.same) for r in parse_json(b'[{"a":{"b":1,"b":1}},{"a":1}]')[1]] == [
        ("b", True)
    ]


def test_only_utf8_json_without_a_byte_order_mark_is_read() -> None:
    good = encode_event(event(), KEY)
    with pytest.raises(MalformedPayload, match="not JSON"):
        decode_event(b"\xef\xbb\xbf" + good, lambda _k: KEY)
    with pytest.raises(MalformedPayload, match="not UTF-8"):
        decode_event(good.decode().encode("utf-16"), lambda _k: KEY)
    with pytest.raises(MalformedPayload, match="nested too deeply"):
        decode_event(b"[" * 100_000 + b"]" * 100_000, lambda _k: KEY)


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"at": "9999-12-31T23:30:00-01:00"}, "at: out of range"),
        ({"at": "0001-01-01T00:30:00+01:00", "due": None, "type": "return"}, "at: out of range"),
        ({"due": "9999-12-31T23:59:00-00:30"}, "due: out of range"),
    ],
)
def test_a_time_with_no_utc_form_is_an_authentic_refusal_not_a_crash(
    changes: dict[str, object], where: str
) -> None:
    with pytest.raises(MalformedPayload, match=where) as info:
        decode_event(_signed_body(**changes), lambda _k: KEY)
    assert info.value.authentic


# A JSON value whose objects are lists of (key, value) pairs, so a key may come twice.
class _Obj(tuple[tuple[str, object], ...]):
    pass


_leaves = st.none() | st.booleans() | st.integers(-3, 3) | st.text('xy"\\é', max_size=3)
_trees = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(st.tuples(st.text("abc", max_size=2), inner), max_size=4).map(_Obj)
    ),
    max_leaves=25,
)


def _render(node: object) -> str:
    if isinstance(node, _Obj):
        return "{" + ",".join(f"{json.dumps(k)}:{_render(v)}" for k, v in node) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_render(v) for v in node) + "]"
    return json.dumps(node)


def _repeats(node: object) -> list[str]:
    """Each key written again in the same object, once per extra copy, at any depth."""
    if isinstance(node, _Obj):
        keys = [k for k, _ in node]
        extra = [k for i, k in enumerate(keys) if k in keys[:i]]
        return extra + [r for _, v in node for r in _repeats(v)]
    if isinstance(node, list):
        return [r for v in node for r in _repeats(v)]
    return []


@given(_trees)
def test_the_repeated_key_detector_finds_exactly_the_repeats(tree: object) -> None:
    text = _render(tree)
    value, repeats = parse_json(text.encode())
    assert sorted(r.key for r in repeats) == sorted(_repeats(tree))
    assert value == json.loads(text)  # what it reads is what Python's own reader reads
