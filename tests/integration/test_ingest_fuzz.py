"""The hub's ingest fed what a broken or hostile device might publish, on a real SQLite store
(and, in one bounded test, through the real broker and hub link): random bytes, random JSON,
and real signed events with a field changed, signed again or not, on the right topic or not.

Whatever comes in: ingest does not fail; every authentic event (signed with its kiosk's key, v1,
with an id and seq an ack can name) gets an answer; every message not committed is kept in the
quarantine or counted as overflow, once; and the quarantine stays within its bounds.

A hundred or so batches each; CAGEKEEPER_EXAMPLES=2000 for a long hunt.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hub.ingest import Inbound, Ingest
from hub.store import QuarantineLimits, Store
from hub.store.schema import quarantine
from tests.harness import Cage
from tests.integration.test_ingest_bounds import registered
from tests.mqtt_probe import Probe
from tests.waiting import wait_until
from wire import Ack, AckResult, Topics, decode_ack
from wire.ids import uuid7
from wire.signing import sign

TOPICS = Topics()
T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = T0 + timedelta(hours=6)
LIMITS = QuarantineLimits(keep=256, rows=40, stored=4096)  # small: the bounds are reached
EXAMPLES = int(os.environ.get("CAGEKEEPER_EXAMPLES", "120"))
SETTLED = (AckResult.COMMITTED, AckResult.DUPLICATE)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def event_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A real event as a kiosk makes it: a checkout, return or refusal of a few assets."""
    seq = draw(st.integers(1, 40))
    at = T0 + timedelta(minutes=draw(st.integers(0, 300)))
    kind = draw(st.sampled_from(["checkout", "return", "denied"]))
    body: dict[str, Any] = {
        "v": 1,
        "id": uuid7(int(at.timestamp() * 1000) + seq),
        "kiosk": draw(st.sampled_from(["cage-9", "cage-9", "cage-8"])),
        "seq": seq,
        "at": at.isoformat(),
        "type": kind,
    }
    asset = draw(st.sampled_from(["CAM-0001", "CAM-0002"]))
    if kind == "checkout":
        body |= {"person": "ada", "asset": asset, "due": (at + timedelta(hours=4)).isoformat()}
    elif kind == "return":
        body |= {"asset": asset}
    else:
        body |= {"reason": "unknown_badge", "badge": "DEADBEEF"}
    return body


@dataclass(frozen=True)
class Sent:
    message: Inbound
    answerable: str | None  # the kiosk that must answer it, when it is authentic and nameable
    event_id: str | None


def _authentic(obj: Any, keys: dict[str, bytes], topic_kiosk: str | None) -> bool:
    if not isinstance(obj, dict) or obj.get("v") != 1 or obj.get("kiosk") != topic_kiosk:
        return False
    key, sig = keys.get(str(topic_kiosk)), obj.get("sig")
    if key is None or not isinstance(sig, str) or not sig.isascii():
        return False
    try:
        return hmac.compare_digest(sign(key, obj), sig.lower())
    except (UnicodeEncodeError, ValueError):
        return False


def _nameable(obj: dict[str, Any]) -> bool:
    try:
        Ack.model_validate({"id": obj.get("id"), "seq": obj.get("seq"), "result": "rejected"})
    except ValueError:
        return False
    return True


@st.composite
def messages(draw: st.DrawFn, keys: dict[str, bytes]) -> Sent:
    kind = draw(st.sampled_from(["bytes", "json", "event", "event", "event"]))
    if kind == "bytes":
        topic = draw(
            st.sampled_from(
                [TOPICS.events("cage-9"), TOPICS.events("ghost"), "cagekeeper/v1/other"]
            )
        )
        return Sent(Inbound(topic, draw(st.binary(max_size=600))), None, None)
    if kind == "json":
        try:
            payload = json.dumps(draw(json_values)).encode()
        except ValueError:
            payload = b"{}"
        return Sent(Inbound(TOPICS.events("cage-9"), payload), None, None)
    obj = draw(event_bodies())
    obj["sig"] = sign(keys[obj["kiosk"]], obj)
    if draw(st.booleans()):  # a field changed, or added
        obj[draw(st.sampled_from([*obj, "extra"]))] = draw(json_values)
        if draw(st.booleans()):
            with contextlib.suppress(KeyError, UnicodeEncodeError, ValueError):
                obj["sig"] = sign(keys[str(obj.get("kiosk"))], obj)
    topic_kiosk = draw(st.sampled_from([obj.get("kiosk"), obj.get("kiosk"), "cage-8"]))
    topic = TOPICS.events(topic_kiosk if isinstance(topic_kiosk, str) else "cage-9")
    try:
        payload = json.dumps(obj, ensure_ascii=False).encode()
    except (UnicodeEncodeError, ValueError):
        payload = json.dumps(obj, default=str).encode(errors="surrogatepass")
    answerable = (
        TOPICS.kiosk_of(topic)
        if _authentic(obj, keys, TOPICS.kiosk_of(topic)) and _nameable(obj)
        else None
    )
    return Sent(Inbound(topic, payload), answerable, str(obj.get("id")))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = registered(tmp_path / "hub.db", T0)
    s.quarantine_limits = LIMITS
    yield s
    s.close()


def kept(store: Store) -> int:
    """Messages the quarantine accounts for: rows, their repeats, and those not kept."""
    rows = store.quarantined()
    return sum(1 + q.repeats for q in rows) + sum(o.dropped for o in store.quarantine_overflow())


def assert_within_bounds(store: Store) -> None:
    with store.engine.connect() as conn:
        per_bucket = conn.execute(
            select(
                quarantine.c.bucket,
                func.count(),
                func.sum(func.length(quarantine.c.payload)),
                func.max(func.length(quarantine.c.payload)),
            ).group_by(quarantine.c.bucket)
        ).all()
    for bucket, rows, stored, longest in per_bucket:
        assert rows <= LIMITS.rows and stored <= LIMITS.stored and longest <= LIMITS.keep, bucket


def keys_of(store: Store) -> dict[str, bytes]:
    found = {k: store.kiosk_key(k) for k in ("cage-8", "cage-9")}
    return {k: v for k, v in found.items() if v is not None}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_whatever_comes_in_authentic_events_are_answered_and_the_rest_kept(
    store: Store, data: st.DataObject
) -> None:
    keys = keys_of(store)
    batch = data.draw(st.lists(messages(keys), min_size=1, max_size=12))
    before = kept(store)
    acks = Ingest(store, TOPICS).process([s.message for s in batch], NOW)

    answered = {(kiosk, str(a.id)): a.result for kiosk, b in acks.items() for a in b.acks}
    for sent in batch:
        if sent.answerable is not None:
            assert (sent.answerable, sent.event_id) in answered, sent
    # each message without an answer is kept, counted as a repeat, or counted as not kept;
    # one committed (or found committed before) is not
    unanswered = sum(
        1 for s in batch if (TOPICS.kiosk_of(s.message.topic), str(s.event_id)) not in answered
    )
    settled = sum(1 for r in answered.values() if r in SETTLED)
    assert unanswered <= kept(store) - before <= len(batch) - settled
    assert_within_bounds(store)


@settings(
    max_examples=max(1, EXAMPLES // 40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_through_the_broker_every_authentic_event_is_answered(
    cage: Cage, data: st.DataObject
) -> None:
    """A few bounded runs over MQTT: the hub link stays up, answers the authentic events and
    quarantines the rest, whatever a kiosk login publishes on its topic."""
    cage.register_kiosk("cage-9")
    cage.register_kiosk("cage-8")
    cage.store.quarantine_limits = LIMITS
    keys = dict(cage.kiosk_keys)
    mine = TOPICS.events("cage-9")  # the broker's ACL lets cage-9 publish here only
    batch = [s for s in data.draw(st.lists(messages(keys), min_size=40, max_size=40))]
    batch = [s for s in batch if s.message.topic == mine]
    before = kept(cage.store)
    probe = Probe(cage.broker.port, "cage-9", cage.kiosk_passwords["cage-9"], "fuzz-cage-9")
    try:
        probe.subscribe(TOPICS.acks("cage-9"))
        for sent in batch:
            probe.publish(mine, sent.message.payload)
        want = {s.event_id for s in batch if s.answerable == "cage-9"}
        answered: set[str] = set()

        def all_answered() -> bool:
            answered.update(
                str(a.id)
                for m in probe.wait_for(TOPICS.acks("cage-9"), count=0)
                for a in decode_ack(m.payload, keys["cage-9"]).acks
            )
            return want <= answered

        wait_until(all_answered, f"answers to {len(want)} authentic events", 30)
        unanswered = sum(1 for s in batch if s.event_id not in answered)
        wait_until(lambda: kept(cage.store) - before >= unanswered, "the rest quarantined", 30)
        assert_within_bounds(cage.store)
        assert cage.hub is not None and cage.hub.wait_connected(1)
    finally:
        probe.close()
