"""What the hub does with duplicates, garbage, forgeries and invalid events on the real broker."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from tests.harness import Cage
from tests.mqtt_probe import Probe
from wire import AckResult, CustodyEvent, EventType, Topics, decode_ack, encode_event
from wire.ids import uuid7
from wire.signing import sign

TOPICS = Topics()


@pytest.fixture
def kiosk_probe(cage: Cage) -> Iterator[Probe]:
    """A client logged in as kiosk cage-9, listening to its acks."""
    cage.register_kiosk("cage-9")
    probe = Probe(cage.broker.port, "cage-9", cage.kiosk_passwords["cage-9"], "probe-cage-9")
    probe.subscribe(TOPICS.acks("cage-9"))
    yield probe
    probe.close()


def _checkout(cage: Cage, seq: int, kiosk: str = "cage-9") -> CustodyEvent:
    now = cage.clock.now()
    return CustodyEvent(
        id=uuid7(int(now.timestamp() * 1000)),
        kiosk=kiosk,
        seq=seq,
        at=now,
        type=EventType.CHECKOUT,
        person="ada",
        asset="CAM-0002",
        due=now + timedelta(hours=48),
    )


def _ack_results(probe: Probe, key: bytes, count: int) -> list[AckResult]:
    """Ack results until ``count`` acks came, in however many messages the hub batched them."""
    for messages in range(1, count + 1):
        got = probe.wait_for(TOPICS.acks("cage-9"), count=messages)
        results = [a.result for m in got for a in decode_ack(m.payload, key).acks]
        if len(results) >= count:
            return results
    raise AssertionError("fewer acks than events")


def test_the_same_event_twice_is_one_row_and_two_acks(cage: Cage, kiosk_probe: Probe) -> None:
    payload = encode_event(_checkout(cage, 1), cage.kiosk_keys["cage-9"])
    kiosk_probe.publish(TOPICS.events("cage-9"), payload)
    kiosk_probe.publish(TOPICS.events("cage-9"), payload)
    results = _ack_results(kiosk_probe, cage.kiosk_keys["cage-9"], count=2)
    assert sorted(results) == [AckResult.COMMITTED, AckResult.DUPLICATE]
    assert len(cage.store.ledger_rows()) == 1


def test_garbage_is_quarantined_and_ingest_goes_on(cage: Cage, kiosk_probe: Probe) -> None:
    kiosk_probe.publish(TOPICS.events("cage-9"), b"\xff\xfe not json")
    kiosk_probe.publish(TOPICS.events("cage-9"), b'{"v": 7, "kiosk": "cage-9"}')
    kiosk_probe.publish(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), b"k" * 32))
    good = encode_event(_checkout(cage, 2), cage.kiosk_keys["cage-9"])
    kiosk_probe.publish(TOPICS.events("cage-9"), good)
    kiosk_probe.wait_for(TOPICS.acks("cage-9"))
    kept = cage.store.quarantined()
    errors = [error for _topic, _kiosk, error, _payload in kept]
    assert len(kept) == 3
    assert errors[0].startswith("not JSON")
    assert "version 7" in errors[1]
    assert "signature" in errors[2]
    assert kept[0][3] == b"\xff\xfe not json"  # kept as received, for inspection
    assert [r.seq for r in cage.store.ledger_rows()] == [2]


def test_authentic_but_invalid_event_is_rejected_to_the_kiosk(
    cage: Cage, kiosk_probe: Probe
) -> None:
    now = cage.clock.now()
    body = {
        "v": 1,
        "id": uuid7(int(now.timestamp() * 1000)),
        "kiosk": "cage-9",
        "seq": 1,
        "at": now.isoformat(),
        "type": "checkout",
        "asset": "CAM-0001",
    }
    body["sig"] = sign(cage.kiosk_keys["cage-9"], body)
    kiosk_probe.publish(TOPICS.events("cage-9"), json.dumps(body))
    [msg] = kiosk_probe.wait_for(TOPICS.acks("cage-9"))
    [ack] = decode_ack(msg.payload, cage.kiosk_keys["cage-9"]).acks
    assert ack.result is AckResult.REJECTED
    assert ack.error is not None and "person" in ack.error and "due" in ack.error
    assert cage.store.ledger_rows() == []
    assert len(cage.store.quarantined()) == 1


def test_a_kiosk_cannot_publish_as_another(cage: Cage, kiosk_probe: Probe) -> None:
    cage.register_kiosk("cage-8")
    forged = encode_event(_checkout(cage, 1, kiosk="cage-8"), cage.kiosk_keys["cage-8"])
    kiosk_probe.publish(TOPICS.events("cage-8"), forged)  # the broker's ACL drops it
    # cage-9's own event on its own topic but claiming to be cage-8: quarantined by the hub
    kiosk_probe.publish(TOPICS.events("cage-9"), forged)
    own = encode_event(_checkout(cage, 1), cage.kiosk_keys["cage-9"])
    kiosk_probe.publish(TOPICS.events("cage-9"), own)
    kiosk_probe.wait_for(TOPICS.acks("cage-9"))
    assert [(r.kiosk, r.seq) for r in cage.store.ledger_rows()] == [("cage-9", 1)]
    assert [k for _t, k, _e, _p in cage.store.quarantined()] == ["cage-9"]


def test_a_new_event_reusing_a_sequence_number_is_rejected(cage: Cage, kiosk_probe: Probe) -> None:
    key = cage.kiosk_keys["cage-9"]
    kiosk_probe.publish(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), key))
    kiosk_probe.wait_for(TOPICS.acks("cage-9"))
    cage.clock.advance(1)
    kiosk_probe.publish(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), key))
    acks = kiosk_probe.wait_for(TOPICS.acks("cage-9"), count=2)
    [second] = decode_ack(acks[1].payload, key).acks
    assert second.result is AckResult.REJECTED
    assert second.error is not None and "sequence 1 already used" in second.error
    assert len(cage.store.ledger_rows()) == 1
