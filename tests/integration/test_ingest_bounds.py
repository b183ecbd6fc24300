"""What the hub's ingest accepts, and what it keeps of what it refuses: UUIDv7 ids, no repeated
JSON keys, event times within bounds (an authentic sender always gets a signed answer), and a
quarantine bounded per message and per kiosk. Real SQLite files; the broker where the signed
ack itself is the point."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import LargeBinary, String, column, create_engine, insert, table, text

from hub.cli import cli
from hub.ingest import Inbound, Ingest
from hub.store import QuarantineLimits, Store
from hub.store.migrate import alembic_config
from hub.store.schema import UtcDateTime
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from tests.harness import Cage
from tests.integration.test_cli import _hub_config
from tests.mqtt_probe import Probe
from tests.web.conftest import PASSWORD
from tests.web.served import sign_in
from wire import Ack, AckBatch, AckResult, Topics, decode_ack
from wire.ids import uuid7
from wire.signing import sign

TOPICS = Topics()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
KEEP = QuarantineLimits().keep
V4 = "3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b"


def registered(path: Path, at: datetime) -> Store:
    """A hub database on a file, with two kiosks registered at ``at`` and a small registry."""
    s = Store.open(f"sqlite:///{path}")
    s.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    s.add_asset("CAM-0001", "Canon C70", "camera")
    s.add_asset("CAM-0002", "Sony FX3", "camera")
    for kiosk in ("cage-8", "cage-9"):
        s.add_kiosk(kiosk, kiosk, at)
    return s


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = registered(tmp_path / "hub.db", T0)
    yield s
    s.close()


def body(seq: int = 1, /, **fields: object) -> dict[str, object]:
    """An unsigned event as a kiosk would send it: a refused badge at T0 unless told (a field
    given as None is left out); datetimes are written in RFC 3339."""
    event: dict[str, object] = {
        "v": 1,
        "id": uuid7(int(T0.timestamp() * 1000) + seq),
        "kiosk": "cage-9",
        "seq": seq,
        "at": T0,
        "type": "denied",
        "reason": "unknown_badge",
        "badge": "DEADBEEF",
        **fields,
    }
    return {
        k: v.isoformat() if isinstance(v, datetime) else v
        for k, v in event.items()
        if v is not None
    }


def checkout(seq: int = 1, **fields: object) -> dict[str, object]:
    loan: dict[str, object] = {
        "type": "checkout",
        "person": "ada",
        "asset": "CAM-0002",
        "due": T0 + timedelta(hours=48),
        "reason": None,
        "badge": None,
    }
    return body(seq, **{**loan, **fields})


def signed(store: Store, event: dict[str, object]) -> bytes:
    key = store.kiosk_key(str(event["kiosk"]))
    assert key is not None
    return json.dumps({**event, "sig": sign(key, event)}).encode()


def ingest(store: Store, *payloads: bytes, kiosk: str = "cage-9") -> dict[str, AckBatch]:
    batch = [Inbound(TOPICS.events(kiosk), p) for p in payloads]
    return Ingest(store, TOPICS).process(batch, T0)


def only_rejection(acks: dict[str, AckBatch], kiosk: str = "cage-9") -> str:
    [ack] = acks[kiosk].acks
    assert ack.result is AckResult.REJECTED
    assert ack.error is not None
    return ack.error


# ids ------------------------------------------------------------------------------------------


def test_a_v4_event_id_is_rejected_by_name(store: Store) -> None:
    acks = ingest(store, signed(store, body(id=V4)))
    [ack] = acks["cage-9"].acks
    assert (ack.id, ack.seq, ack.result) == (V4, 1, AckResult.REJECTED)
    assert ack.error is not None and "must be a UUIDv7" in ack.error and "version 4" in ack.error
    assert store.ledger_rows("cage-9") == []
    [kept] = store.quarantined()
    assert kept.kiosk == "cage-9" and "UUIDv7" in kept.error


def test_the_kiosk_gets_a_signed_rejection_for_a_v4_id_and_an_overflowing_time(
    cage: Cage,
) -> None:
    cage.register_kiosk("cage-9")
    key = cage.kiosk_keys["cage-9"]
    probe = Probe(cage.broker.port, "cage-9", cage.kiosk_passwords["cage-9"], "probe-cage-9")
    try:
        probe.subscribe(TOPICS.acks("cage-9"))
        for seq, fields in enumerate(({"id": V4}, {"at": "9999-12-31T23:30:00-01:00"}), 1):
            event = body(seq, **{"at": cage.clock.now(), **fields})
            probe.publish(TOPICS.events("cage-9"), signed(cage.store, event))
        got: dict[int, Ack] = {}
        for messages in (1, 2):
            for m in probe.wait_for(TOPICS.acks("cage-9"), count=messages):
                got.update((a.seq, a) for a in decode_ack(m.payload, key).acks)  # signed
            if len(got) == 2:
                break
    finally:
        probe.close()
    assert got[1].result is AckResult.REJECTED and "UUIDv7" in (got[1].error or "")
    assert got[2].result is AckResult.REJECTED and "at: out of range" in (got[2].error or "")
    assert cage.store.ledger_rows("cage-9") == []


# repeated keys ------------------------------------------------------------------------------


def test_a_payload_with_a_key_twice_is_never_committed(store: Store) -> None:
    good = signed(store, checkout())
    # an earlier asset: the signature checks out over the later copy, which Python keeps
    earlier = b'{"asset": "CAM-0001", ' + good[1:]
    acks = ingest(store, earlier)
    assert acks == {}  # not provably the kiosk's: no answer
    # the same value twice: signed and unambiguous, so the kiosk is told
    twice = b'{"asset": "CAM-0002", ' + good[1:]
    error = only_rejection(ingest(store, twice))
    assert "duplicate JSON key 'asset'" in error
    assert store.ledger_rows() == [] and store.items_out() == []
    reasons = [q.error for q in store.quarantined()]
    assert "with different values" in reasons[0] and "same value" in reasons[1]
    # the well-formed event itself still goes in
    [ack] = ingest(store, good)["cage-9"].acks
    assert ack.result is AckResult.COMMITTED


# time bounds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("0001-01-01T00:00:00Z", "before kiosk cage-9 was registered"),
        ("1970-01-01T00:00:00Z", "before kiosk cage-9 was registered"),
        ("2099-06-01T12:00:00Z", "after the hub's clock"),
        ("9999-12-31T23:59:59Z", "after the hub's clock"),
        ("9999-12-31T23:30:00-01:00", "at: out of range once converted to UTC"),
        ("0001-01-01T00:30:00+01:00", "at: out of range once converted to UTC"),
        ((T0 + timedelta(minutes=6)).isoformat(), "6 minutes after the hub's clock"),
        ((T0 + timedelta(minutes=5, seconds=30)).isoformat(), "5 min 30 s after the hub's"),
        ((T0 - timedelta(days=2)).isoformat(), "the kiosk's clock was not set"),
    ],
)
def test_an_event_at_an_impossible_time_is_rejected_to_its_kiosk(
    store: Store, at: str, why: str
) -> None:
    error = only_rejection(ingest(store, signed(store, body(at=at))))
    assert why in error
    assert store.ledger_rows("cage-9") == []
    assert [q.error for q in store.quarantined()] == [error]


@pytest.mark.parametrize(
    "due", [T0 + timedelta(days=367), T0 - timedelta(days=367), datetime(9999, 1, 1, tzinfo=UTC)]
)
def test_a_due_time_more_than_a_year_from_the_event_is_rejected(
    store: Store, due: datetime
) -> None:
    event = body(due=due)
    assert "more than 366 days from at" in only_rejection(ingest(store, signed(store, event)))


def test_times_within_the_bounds_are_committed(store: Store) -> None:
    events = [
        body(1, at=T0 + timedelta(minutes=4)),  # a kiosk clock a little ahead
        body(2, at=T0 - timedelta(hours=23)),  # set up just before registration
        checkout(3, due=T0 + timedelta(days=366)),  # a year's loan
    ]
    payloads = [signed(store, e) for e in events]
    acks = ingest(store, *payloads)
    assert [a.result for a in acks["cage-9"].acks] == [AckResult.COMMITTED] * 3
    assert store.quarantined() == []


# the quarantine's bounds ----------------------------------------------------------------------


def test_an_oversize_payload_keeps_its_first_bytes_its_length_and_its_hash(
    store: Store, tmp_path: Path
) -> None:
    event = body(detail="x" * 1_000_000)  # authentic, and far over the 200 allowed
    payload = signed(store, event)
    assert "detail" in only_rejection(ingest(store, payload))
    [kept] = store.quarantined()
    assert kept.payload == payload[:KEEP] and not kept.complete
    assert (kept.size, kept.sha256) == (len(payload), hashlib.sha256(payload).hexdigest())
    # the same message again counts on its row, as when it was kept whole
    ingest(store, payload)
    [again] = store.quarantined()
    assert again.id == kept.id and again.repeats == 1
    store.close()
    shown = CliRunner().invoke(
        cli, ["-c", str(_hub_config(tmp_path)), "quarantine", "--show", str(kept.id)]
    )
    assert shown.exit_code == 0, shown.output
    assert f"{len(payload)} bytes, the first {KEEP} kept, sha256 {kept.sha256}" in shown.output


def test_a_flood_past_the_quota_is_counted_not_stored(store: Store, tmp_path: Path) -> None:
    # 8 MiB per kiosk: 128 payloads cut to 64 KiB fill it
    flood = [b"%d" % n + b"x" * 100_000 for n in range(140)]
    cage8 = b"cage-8 garbage"
    ingest(store, cage8, kiosk="cage-8")
    assert ingest(store, *flood) == {}
    ingest(store, flood[0])  # a message already kept still counts its repeats
    ingest(store, b"cage-8 more garbage", kiosk="cage-8")
    kept = store.quarantined()
    nine = [q for q in kept if q.kiosk == "cage-9"]
    assert len(nine) == 128 and nine[0].repeats == 1
    assert sum(len(q.payload) for q in nine) == 128 * KEEP
    # cage-8's share is its own: its messages before and after the flood are all kept
    assert [q.payload for q in kept if q.kiosk == "cage-8"] == [cage8, b"cage-8 more garbage"]
    [over] = store.quarantine_overflow()
    assert (over.bucket, over.dropped, over.first_at, over.last_at) == ("cage-9", 12, T0, T0)
    assert over.error.startswith("not JSON")
    store.close()
    listed = CliRunner().invoke(cli, ["-c", str(_hub_config(tmp_path)), "quarantine"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].split("\t")[-1] == "bytes" and lines[1].split("\t")[-1] == "14"
    assert "\t".join(["cage-9", "12", "2026-03-02 09:30:00", "2026-03-02 09:30:00"]) in (
        listed.output
    )


def test_unknown_kiosks_and_other_topics_share_one_bucket(store: Store) -> None:
    store.quarantine_limits = QuarantineLimits(rows=3)
    for n, kiosk in enumerate(["ghost-1", "ghost-2", "ghost-3", "ghost-4"]):
        ingest(store, b"unknown %d" % n, kiosk=kiosk)
    Ingest(store, TOPICS).process([Inbound("elsewhere/events", b"stray")], T0)
    for n in range(4):
        ingest(store, b"cage-9 %d" % n)
    by_kiosk = sorted((q.kiosk or "-") for q in store.quarantined())
    assert by_kiosk == ["cage-9"] * 3 + ["ghost-1", "ghost-2", "ghost-3"]
    assert sorted((o.bucket, o.dropped) for o in store.quarantine_overflow()) == [
        ("-", 2),
        ("cage-9", 1),
    ]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_overview_shows_what_was_not_kept(store: Store) -> None:
    """The dashboard's attention section names the kiosk whose share was full."""
    store.quarantine_limits = QuarantineLimits(rows=1)
    ingest(store, b"one", b"two", b"three")
    create_user(store, "viewer", PASSWORD, "viewer", T0)
    client = TestClient(create_app(store, WebSettings(secret_key="k" * 40), lambda: T0))
    assert sign_in(client, "viewer", PASSWORD).status_code == 303
    page = client.get("/").text
    section = page[page.index('id="attention"') :]
    assert "1 message could not be ingested" in " ".join(section.split())
    assert "cage-9</span>: 2 messages" in section


# the migration --------------------------------------------------------------------------------


def bound_through_the_migration(url: str) -> None:
    """A quarantine made before 0010: each row gets its size, hash and bucket, and a payload
    over the cap keeps its first 64 KiB."""
    engine = create_engine(url)
    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0009")
    old = table(
        "quarantine",
        column("received_at", UtcDateTime()),
        column("last_at", UtcDateTime()),
        column("topic", String()),
        column("kiosk", String()),
        column("error", String()),
        column("payload", LargeBinary()),
        column("digest", String()),
    )
    kiosks = table(
        "kiosks",
        column("id", String()),
        column("name", String()),
        column("hmac_key", LargeBinary()),
        column("created_at", UtcDateTime()),
    )
    big = b"y" * 200_000
    rows = [("cage-1", big), ("ghost", b"small"), (None, b"stray")]
    with engine.begin() as conn:
        conn.execute(insert(kiosks).values(id="cage-1", name="c", hmac_key=b"k", created_at=T0))
        for n, (kiosk, payload) in enumerate(rows):
            conn.execute(
                insert(old).values(
                    received_at=T0,
                    last_at=T0,
                    topic="t",
                    kiosk=kiosk,
                    error="e",
                    payload=payload,
                    digest=str(n),
                )
            )
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    try:
        kept = Store(engine).quarantined()
        assert [(q.kiosk, q.size, q.sha256) for q in kept] == [
            (kiosk, len(p), hashlib.sha256(p).hexdigest()) for kiosk, p in rows
        ]
        assert [q.payload for q in kept] == [big[:KEEP], b"small", b"stray"]
        # only the registered kiosk has a bucket of its own
        with engine.connect() as conn:
            buckets = conn.scalars(text("SELECT bucket FROM quarantine ORDER BY id"))
            assert list(buckets) == ["cage-1", "-", "-"]
    finally:
        engine.dispose()


def test_the_migration_bounds_a_quarantine_made_before_it(tmp_path: Path) -> None:
    bound_through_the_migration(f"sqlite:///{tmp_path / 'hub.db'}")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_migration_bounds_a_quarantine_on_postgres(pg_url: str) -> None:
    bound_through_the_migration(pg_url)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_quota_holds_on_postgres(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        store.add_kiosk("cage-9", "cage-9", T0)
        store.quarantine_limits = QuarantineLimits(rows=2, keep=4)
        for n in range(5):
            store.quarantine(TOPICS.events("cage-9"), "cage-9", "bad", b"payload %d" % n, T0)
        store.quarantine(TOPICS.events("cage-9"), "cage-9", "bad", b"payload 0", T0)
        kept = store.quarantined()
        assert [(q.payload, q.size, q.repeats) for q in kept] == [(b"payl", 9, 1), (b"payl", 9, 0)]
        [over] = store.quarantine_overflow()
        assert (over.bucket, over.dropped) == ("cage-9", 3)
    finally:
        store.close()
