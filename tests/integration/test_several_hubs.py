"""Several hub processes on one PostgreSQL reach the custody one hub reaches with the events in
event order (docs/protocol.md section 5), on the real parts: PostgreSQL made with initdb, the
project's Mosquitto configuration, ``cagekeeper-hub serve`` as separate OS processes sharing
the MQTT v5 shared subscription, eight kiosks publishing signed events shuffled and resent; one
hub killed with SIGKILL mid-burst and started again (a new process in its broker session).
``cagekeeper-hub verify`` finds a projection tampered with, and ``--repair`` mends it.

The hubs' overdue sweeper runs every second meanwhile. ``test_hub_races`` reproduces, each on
its own, the races and order dependences these runs once found in the hub.
"""

from __future__ import annotations

import random
import secrets
import subprocess
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from hub.config import load_config
from hub.localbroker import LocalBroker
from hub.store.configured import open_store
from hub.store.schema import assets, audit_log, holdings
from tests.fleet import Fleet
from tests.fleet_custody import (
    custody,
    in_event_order,
    kiosk_ledger_ids,
    ledger_rows_by,
    out_among,
    tag_ledger_inserts,
)
from tests.fleet_history import ASSETS, KIOSKS, arrivals, fleet_history, register, returned_assets
from tests.hub_processes import HubProcess, hub_command, write_hub_config
from wire import AckResult, CustodyEvent, KioskState

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
ACKS_WITHIN = 40.0  # seconds for a burst of a few hundred events to be acknowledged
RESEND_AFTER = 10.0  # a kiosk sends an event again when no ack came for this long


class Site:
    """A broker, a PostgreSQL database with the registry, eight kiosks and hub processes."""

    def __init__(self, folder: Path, pg_url: str) -> None:
        self.folder = folder
        self.pg_url = pg_url
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.registered = self.now - timedelta(days=30)  # the history is of the last 4 days
        self.hub_password = secrets.token_urlsafe(16)
        self.passwords = {k: secrets.token_urlsafe(16) for k in KIOSKS}
        self.hubs: dict[str, HubProcess] = {}
        self.fleet: Fleet | None = None
        self.broker = LocalBroker(folder / "broker", {"hub": self.hub_password, **self.passwords})
        self._stack = ExitStack()
        self.pool = self._stack.enter_context(ThreadPoolExecutor(1))
        # the test's own look at the database, with the hubs' rules (strikes, clock tolerance)
        self.own_config = write_hub_config(
            folder / "hubs", "test", pg_url, self.broker.port, self.hub_password
        )
        self.store = open_store(load_config(self.own_config))
        self._stack.callback(self.store.close)
        try:
            self.keys = register(self.store, self.registered)
            tag_ledger_inserts(self.store)
        except BaseException:
            self._stack.close()
            raise

    def start(self, *names: str) -> Fleet:
        self.broker.start()
        self._stack.callback(self.broker.stop)
        self.fleet = Fleet(self.broker.port, self.keys, self.passwords)
        self._stack.callback(self.fleet.close)
        self.start_hubs(*names)
        return self.fleet

    def config(self, name: str, instance: str | None = None) -> Path:
        # application_name: each ledger row then names the process that inserted it
        return write_hub_config(
            self.folder / "hubs",
            name,
            f"{self.pg_url}?application_name={name}",
            self.broker.port,
            self.hub_password,
            instance,
        )

    def start_hubs(self, *names: str, instance: str | None = None) -> None:
        """Start hub processes and wait until each is subscribed: a hub says "online" right
        after subscribing, on the same connection, so the broker has the subscription then.
        With ``instance``, the (one) new process takes up that hub's broker session, as that
        hub started again."""
        fleet = self.fleet
        assert fleet is not None
        before = fleet.count_presence(KioskState.ONLINE)
        for name in names:
            hub = self.hubs[name] = HubProcess(
                self.config(name, instance), self.folder / f"{name}.log"
            )
            self._stack.callback(hub.stop)
            hub.start()
        fleet.wait(
            lambda: fleet.count_presence(KioskState.ONLINE) >= before + len(names),
            30,
            f"hubs {', '.join(names)} online",
            self.dead_hub,
        )

    def dead_hub(self) -> str | None:
        """A hub process that exited unasked, with the end of its log."""
        for name, hub in self.hubs.items():
            if hub.process is not None and hub.process.returncode is None and not hub.alive:
                return f"hub {name} exited ({hub.process.returncode}):\n{hub.tail()}"
        return None

    def in_event_order(self, events: list[CustodyEvent]) -> dict[str, Any]:
        """The custody of a fresh SQLite store, opened as the hubs open theirs, that took the
        events one at a time in event order (in a thread of its own: it takes seconds)."""
        config = load_config(self.own_config)
        url = f"sqlite:///{self.folder / 'in-order.db'}"
        store = in_event_order(config, url, self.registered, self.keys, events, self.now)
        try:
            return custody(store)
        finally:
            store.close()

    def close(self) -> None:
        self._stack.close()  # hubs, kiosks, broker, store: each, whatever fails


@pytest.fixture
def site(tmp_path: Path, pg_url: str) -> Iterator[Site]:
    s = Site(tmp_path, pg_url)
    try:
        yield s
    finally:
        s.close()


def cli_verify(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*hub_command(), "-c", str(config), "verify", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def history(seed: int, now: datetime, codes: Sequence[str] = ASSETS) -> list[CustodyEvent]:
    """Four days of loans of these assets, up to a few minutes ago."""
    start, end = now - timedelta(days=4), now - timedelta(minutes=5)
    return fleet_history(random.Random(seed), start, end, codes)


def assert_each_event_once(site: Site, fleet: Fleet, events: list[CustodyEvent]) -> None:
    ids = kiosk_ledger_ids(site.store)
    assert len(ids) == len(set(ids)) == len(events)
    assert set(ids) == {e.id for e in events}
    committed = Counter(
        i for i, results in fleet.acks.items() for r in results if r is AckResult.COMMITTED
    )
    assert max(committed.values()) == 1, "an event acknowledged as committed twice"


def assert_same_custody_as_in_event_order(
    site: Site, events: list[CustodyEvent], in_order: Future[dict[str, Any]]
) -> None:
    assert site.store.verify() == []
    expected = in_order.result(timeout=60)
    # the history has them all: late returns (and bans), problem tickets, anomalies
    assert all(expected[part] for part in ("late", "bans", "tickets", "anomalies"))
    got = custody(site.store)
    for part, rows in expected.items():
        assert got[part] == rows, part
    returned = returned_assets(events)
    assert len(returned) > 20
    assert out_among(site.store, returned) == []


def test_two_hub_processes_sharing_a_shuffled_burst_agree_with_event_order(site: Site) -> None:
    events = history(1, site.now)
    assert 300 <= len(events) <= 600
    sent = arrivals(events, random.Random(11), resent=0.25)
    in_order = site.pool.submit(site.in_event_order, events)
    fleet = site.start("hub-a", "hub-b")
    fleet.send(sent)
    fleet.wait_settled([e.id for e in events], ACKS_WITHIN, site.dead_hub, RESEND_AFTER)

    assert_each_event_once(site, fleet, events)
    by = ledger_rows_by(site.store)
    assert by.get("hub-a", 0) > 0 and by.get("hub-b", 0) > 0, by  # both did their share
    assert_same_custody_as_in_event_order(site, events, in_order)
    result = cli_verify(site.own_config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the stored custody matches the ledger" in result.stdout


def test_a_hub_killed_mid_burst_loses_nothing_and_commits_nothing_twice(site: Site) -> None:
    events = history(2, site.now)
    rnd = random.Random(22)
    first = rnd.sample(events, len(events) * 3 // 5)
    later = [e for e in events if e not in first]
    first_ids = [e.id for e in first]
    in_order = site.pool.submit(site.in_event_order, events)
    fleet = site.start("hub-a", "hub-b")

    fleet.send(arrivals(first, rnd, resent=0.2))
    fleet.wait(  # the hubs are part way through the burst, hub-a has committed some
        lambda: (
            sum(1 for i in first_ids if fleet.settled(i)) >= 10
            and ledger_rows_by(site.store).get("hub-a", 0) > 0
        ),
        ACKS_WITHIN,
        "the first acks",
        site.dead_hub,
    )
    offline = fleet.count_presence(KioskState.OFFLINE)
    site.hubs["hub-a"].kill()
    assert len(fleet.unsettled(first_ids)) > len(first) // 3, "the burst was nearly over"
    # the broker noticed (it published hub-a's last will)
    fleet.wait(lambda: fleet.count_presence(KioskState.OFFLINE) > offline, 10, "hub-a's will")
    # as kiosks' outboxes do: everything not acknowledged yet goes again. The broker keeps
    # hub-a's session, so hub-a's turn of these waits there, with what hub-a had not acked
    fleet.resend(fleet.unsettled(first_ids))
    # hub-a started again (a new process, hub-c, in hub-a's session) takes them
    site.start_hubs("hub-c", instance="hub-a")
    fleet.wait_settled(first_ids, ACKS_WITHIN, site.dead_hub, RESEND_AFTER)

    # and shares the rest with hub-b
    fleet.send(arrivals(later, rnd, resent=0.1) + rnd.sample(first, 20))
    fleet.wait_settled([e.id for e in events], ACKS_WITHIN, site.dead_hub, RESEND_AFTER)

    assert_each_event_once(site, fleet, events)
    by = ledger_rows_by(site.store)
    assert by.get("hub-a", 0) > 0 and by.get("hub-c", 0) > 0, by
    assert sum(by.values()) == len(events)
    assert_same_custody_as_in_event_order(site, events, in_order)


def test_verify_finds_a_tampered_projection_and_repair_mends_it(
    tmp_path: Path, pg_url: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    config = write_hub_config(tmp_path, "hub", pg_url, 1883, "unused")
    store = open_store(load_config(config))  # the rules the command opens it with
    try:
        register(store, now - timedelta(days=30))
        events = history(3, now, ASSETS[:40])
        store.commit_events([(ev, ev.model_dump_json()) for ev in events], now)
        assert store.verify() == []
        before = custody(store)

        returned = sorted(returned_assets(events))
        with store.engine.begin() as conn:
            held = conn.scalar(select(holdings.c.asset).order_by(holdings.c.asset).limit(1))
            assert held is not None
            conn.execute(delete(holdings).where(holdings.c.asset == held))
            conn.execute(update(assets).where(assets.c.code == returned[0]).values(status="out"))

        found = cli_verify(config)
        assert found.returncode == 1, found.stdout + found.stderr
        assert f"{held}: holder: stored nobody, ledger says " in found.stdout
        assert f"{returned[0]}: status: stored out, ledger says not out" in found.stdout
        assert "2 differences" in found.stdout and "--repair" in found.stdout

        repaired = cli_verify(config, "--repair")
        assert repaired.returncode == 0, repaired.stdout + repaired.stderr
        assert "repaired 2 differences" in repaired.stdout
        with store.engine.connect() as conn:
            [(actor, detail)] = conn.execute(
                select(audit_log.c.actor, audit_log.c.detail).where(
                    audit_log.c.action == "ledger.repair"
                )
            ).all()
        assert actor.startswith("cli:")
        assert detail.startswith("2 differences") and "re-derived from the ledger" in detail

        again = cli_verify(config)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "the stored custody matches the ledger" in again.stdout
        assert custody(store) == before
        assert out_among(store, returned) == []
    finally:
        store.close()
