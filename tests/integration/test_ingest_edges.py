"""What the hub does with duplicates, garbage, forgeries, invalid events and events its database
cannot store, on the real broker and database; and how the quarantine is kept and listed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine

from hub.cli import cli
from hub.errors import NotFound, StoreError
from hub.ingest import Inbound, Ingest
from hub.store import Store
from tests.events import checkout_event, denial_event
from tests.harness import Cage
from tests.integration.test_cli import _hub_config
from tests.mqtt_probe import Probe
from wire import (
    Ack,
    AckResult,
    CustodyEvent,
    Topics,
    decode_ack,
    encode_event,
)
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
    return checkout_event(kiosk, seq, cage.clock.now(), "CAM-0002")


def _acks(probe: Probe, key: bytes, count: int) -> list[Ack]:
    """Acks until ``count`` came, in however many messages the hub batched them."""
    for messages in range(1, count + 1):
        got = probe.wait_for(TOPICS.acks("cage-9"), count=messages)
        acks = [a for m in got for a in decode_ack(m.payload, key).acks]
        if len(acks) >= count:
            return acks
    raise AssertionError("fewer acks than events")


def _ack_results(probe: Probe, key: bytes, count: int) -> list[AckResult]:
    return [a.result for a in _acks(probe, key, count)]


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
    errors = [q.error for q in kept]
    assert len(kept) == 3
    assert errors[0].startswith("not JSON")
    assert "version 7" in errors[1]
    assert "signature" in errors[2]
    assert kept[0].payload == b"\xff\xfe not json"  # kept as received, for inspection
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
    assert [q.kiosk for q in cage.store.quarantined()] == ["cage-9"]


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


def test_custody_of_what_the_hub_does_not_know_is_refused_and_listed(
    cage: Cage, kiosk_probe: Probe
) -> None:
    """A checkout of an unregistered asset, or by an unregistered person, makes no holding: the
    sender is told why and managers see the refusal (a resend is listed once)."""
    key = cage.kiosk_keys["cage-9"]
    now = cage.clock.now()
    phantom_item = checkout_event("cage-9", 1, now, "CAM-9999")
    phantom_person = checkout_event("cage-9", 2, now, "CAM-0002", person="nobody")
    for event in (phantom_item, phantom_person, phantom_item):
        kiosk_probe.publish(TOPICS.events("cage-9"), encode_event(event, key))
    acks = {a.id: a for a in _acks(kiosk_probe, key, 3)}
    assert acks[phantom_item.id].result is AckResult.REJECTED
    assert "unknown asset 'CAM-9999'" in (acks[phantom_item.id].error or "")
    assert acks[phantom_person.id].result is AckResult.REJECTED
    assert "unknown person 'nobody'" in (acks[phantom_person.id].error or "")
    assert cage.store.items_out() == [] and cage.store.ledger_rows() == []
    listed = cage.store.attention().anomalies
    assert sorted((a.asset, a.kind) for a in listed) == [
        ("CAM-0002", "unregistered"),
        ("CAM-9999", "unregistered"),
    ]


def _denial(cage: Cage, seq: int, kiosk: str = "cage-9", detail: str | None = None) -> CustodyEvent:
    return denial_event(kiosk, seq, cage.clock.now(), detail)


# SQLite cannot bind an integer past 2**63 - 1: an authentic event its database cannot store,
# as a NUL in a text field is for PostgreSQL (see test_postgres.py)
POISON_SEQ = 2**63


def test_an_event_the_database_cannot_store_is_rejected_alone(
    cage: Cage, kiosk_probe: Probe
) -> None:
    key = cage.kiosk_keys["cage-9"]
    poison = encode_event(_denial(cage, POISON_SEQ), key)
    kiosk_probe.publish(TOPICS.events("cage-9"), poison)
    kiosk_probe.publish(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), key))
    got = {a.seq: a for a in _acks(kiosk_probe, key, count=2)}
    assert got[1].result is AckResult.COMMITTED
    refused = got[POISON_SEQ]
    assert refused.result is AckResult.REJECTED  # the kiosk moves it to its dead-letter store
    assert refused.error is not None and "database cannot store this event" in refused.error
    assert [r.seq for r in cage.store.ledger_rows()] == [1]
    [kept] = cage.store.quarantined()
    assert kept.payload == poison and kept.kiosk == "cage-9"  # as received
    assert kept.error == refused.error


def test_a_poison_event_does_not_hold_up_the_others_in_its_batch(cage: Cage) -> None:
    cage.register_kiosk("cage-8")
    cage.register_kiosk("cage-9")
    k8, k9 = cage.kiosk_keys["cage-8"], cage.kiosk_keys["cage-9"]
    poison = Inbound(TOPICS.events("cage-9"), encode_event(_denial(cage, POISON_SEQ), k9))
    batch = [
        Inbound(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), k9)),
        poison,
        Inbound(TOPICS.events("cage-8"), encode_event(_denial(cage, 1, "cage-8"), k8)),
    ]
    acks = Ingest(cage.store, TOPICS).process(batch, cage.clock.now())
    assert [(a.seq, a.result) for a in acks["cage-9"].acks] == [
        (1, AckResult.COMMITTED),
        (POISON_SEQ, AckResult.REJECTED),
    ]
    assert [a.result for a in acks["cage-8"].acks] == [AckResult.COMMITTED]
    assert sorted((r.kiosk, r.seq) for r in cage.store.ledger_rows()) == [
        ("cage-8", 1),
        ("cage-9", 1),
    ]
    assert [(i.asset, i.person) for i in cage.store.items_out()] == [("CAM-0002", "ada")]
    # the kiosk did not get the ack and sends the batch again: duplicates, and the same verdict
    again = Ingest(cage.store, TOPICS).process(batch, cage.clock.now())
    assert [a.result for a in again["cage-9"].acks] == [AckResult.DUPLICATE, AckResult.REJECTED]
    [kept] = cage.store.quarantined()
    assert kept.payload == poison.payload and kept.repeats == 1


def test_a_locked_database_rejects_nothing_and_quarantines_nothing(cage: Cage) -> None:
    """Transient: the batch fails whole, nothing is acked, the kiosks send it again later."""
    cage.register_kiosk("cage-9")
    key = cage.kiosk_keys["cage-9"]
    batch = [
        Inbound(TOPICS.events("cage-9"), encode_event(_checkout(cage, 1), key)),
        Inbound(TOPICS.events("cage-9"), encode_event(_denial(cage, 2), key)),
    ]
    impatient = create_engine(f"sqlite:///{cage.folder / 'hub.db'}", connect_args={"timeout": 0})
    locker = sqlite3.connect(cage.folder / "hub.db", isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")  # another writer holds the database
        with pytest.raises(StoreError, match="locked"):
            Ingest(Store(impatient), TOPICS).process(batch, cage.clock.now())
        locker.execute("ROLLBACK")
    finally:
        locker.close()
        impatient.dispose()
    assert cage.store.ledger_rows() == []
    assert cage.store.quarantined() == []


def test_a_message_sent_again_is_one_quarantine_entry(cage: Cage, kiosk_probe: Probe) -> None:
    wrong_key = encode_event(_checkout(cage, 1), b"k" * 32)
    other = encode_event(_checkout(cage, 2), b"k" * 32)
    for payload in (wrong_key, other, wrong_key, wrong_key):
        kiosk_probe.publish(TOPICS.events("cage-9"), payload)
    good = encode_event(_checkout(cage, 3), cage.kiosk_keys["cage-9"])
    kiosk_probe.publish(TOPICS.events("cage-9"), good)
    kiosk_probe.wait_for(TOPICS.acks("cage-9"))  # the hub has read all that came before
    kept = cage.store.quarantined()
    assert [(q.payload, q.repeats) for q in kept] == [(wrong_key, 2), (other, 0)]
    # the same bytes on another topic are another message
    start = cage.clock.now()
    cage.store.quarantine("elsewhere/events", None, "not a kiosk events topic", wrong_key, start)
    later = start + timedelta(minutes=5)
    cage.store.quarantine("elsewhere/events", None, "still \x00 wrong", wrong_key, later)
    last = cage.store.quarantined()[-1]
    assert (last.topic, last.repeats) == ("elsewhere/events", 1)
    assert (last.received_at, last.last_at) == (start, later)
    assert last.error == "still \\x00 wrong"  # the latest reason, control characters escaped


def test_the_quarantine_command_shows_times_repeats_and_whole_payloads(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    t0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    long = b'{"v": 1, "kiosk": "cage-9", "detail": "' + b"x" * 200 + b'\x1b[2J"}'
    try:
        for minutes in (0, 3, 7):
            store.quarantine(
                "cagekeeper/v1/kiosks/cage-9/events",
                "cage-9",
                "bad signature",
                long,
                t0 + timedelta(minutes=minutes),
            )
        [entry] = store.quarantined()
    finally:
        store.close()
    runner = CliRunner()
    listed = runner.invoke(cli, ["-c", str(config), "quarantine"])
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.splitlines()
    assert header.split("\t")[:4] == ["id", "received", "last seen", "repeats"]
    fields = row.split("\t")
    assert fields[:5] == [
        str(entry.id),
        "2026-03-02 09:30:00",
        "2026-03-02 09:37:00",
        "2",
        "cage-9",
    ]
    assert fields[7] == repr(long[:120])
    shown = runner.invoke(cli, ["-c", str(config), "quarantine", "--show", str(entry.id)])
    assert shown.exit_code == 0, shown.output
    assert "repeats:   2" in shown.output and "last seen: 2026-03-02 09:37:00" in shown.output
    assert "x" * 200 + "\\x1b[2J" in shown.output  # all of it, no terminal escape let through
    raw = runner.invoke(cli, ["-c", str(config), "quarantine", "--show", str(entry.id), "--raw"])
    assert raw.exit_code == 0 and raw.stdout_bytes == long
    missing = runner.invoke(cli, ["-c", str(config), "quarantine", "--show", "99"])
    assert isinstance(missing.exception, NotFound)


def test_the_hub_database_syncs_each_commit_to_disk(cage: Cage) -> None:
    with cage.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
