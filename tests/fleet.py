"""A fleet of kiosks and several hub processes, for tests of hubs sharing one database.

- ``fleet_history``: a history as eight kiosks make it over a few days before now (the hub
  refuses events from the future or from long before a kiosk was registered): loans of about a
  hundred assets, extensions, late and damaged returns, items lent twice by offline kiosks,
  returns of what nobody holds, extensions by someone else.
- ``Fleet``: one MQTT client per kiosk, logged in as that kiosk, that publishes signed events
  (the same bytes again when resent, as a kiosk's outbox does) and collects the hub's signed
  acks; also hears the hub's presence (live "online" messages, and the broker's "offline" will
  of a hub that died).
- ``HubProcess``: ``cagekeeper-hub -c hub.toml serve`` as a separate OS process.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import ColumnClause, column, func, select, text

from bench.hubproc import LoggedProcess
from hub.config import HubConfig, load_config
from hub.localbroker import free_port, local_pki
from hub.store import Store
from hub.store.configured import open_store
from hub.store.schema import assets, holdings, ledger
from tests.histories import number, state
from wire import (
    AckResult,
    CustodyEvent,
    EventType,
    HubStatus,
    KioskState,
    ReturnCondition,
    Topics,
    WireError,
    decode_ack,
    encode_event,
)

ROOT = Path(__file__).resolve().parent.parent
TOPICS = Topics()
KIOSKS = ("cage-1", "cage-2", "cage-3", "cage-4", "lab-1", "lab-2", "door-1", "door-2")
LENDERS = KIOSKS[:6]  # the doors only take returns
PLACES = {"cage-1": "Film cage", "cage-2": "Film cage", "lab-1": "Sound lab"}
PEOPLE = (
    "ada",
    "grace",
    "alan",
    "edsger",
    "barbara",
    "donald",
    "frances",
    "john",
    "katherine",
    "linus",
    "margaret",
    "niklaus",
)
ASSETS = tuple(f"{kind}-{n:03d}" for kind in ("CAM", "LENS", "MIC", "LIGHT") for n in range(25))
CATEGORY = {"CAM": "camera", "LENS": "lens", "MIC": "audio", "LIGHT": "lighting"}
STRIKES = "[strikes]\ngrace_minutes = 15\nlimit = 2\nterm_days = 30\nban_days = 7\n"
SETTLED = (AckResult.COMMITTED, AckResult.DUPLICATE)


def register(
    store: Store, registered: datetime, keys: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """People, assets and kiosks (registered at ``registered``); returns the kiosks' keys.
    Given ``keys``, the kiosks get those (a second store the same events go to)."""
    for person in PEOPLE:
        store.add_person(person, person.title())
    for code in ASSETS:
        store.add_asset(code, f"Item {code}", CATEGORY[code.split("-")[0]], now=registered)
    made = {}
    for kiosk in KIOSKS:
        made[kiosk] = store.add_kiosk(
            kiosk,
            kiosk,
            registered,
            key=keys[kiosk] if keys else None,
            location=PLACES.get(kiosk),
        )
    return made


def _condition(rnd: random.Random) -> ReturnCondition:
    return rnd.choices(
        [ReturnCondition.OK, ReturnCondition.DAMAGED, ReturnCondition.MISSING_PART], [17, 2, 1]
    )[0]


def fleet_history(
    rnd: random.Random, start: datetime, end: datetime, codes: Sequence[str] = ASSETS
) -> list[CustodyEvent]:
    """A history in event order, every event between ``start`` and ``end``."""
    rows: list[dict[str, Any]] = []

    def add(at: datetime, **row: Any) -> bool:
        if at > end:
            return False
        rows.append(dict(at=at, **row))
        return True

    span = int((end - start).total_seconds() // 60)
    for code in codes:
        at = start + timedelta(minutes=rnd.randint(0, 600), seconds=rnd.randint(0, 59))
        for n in range(rnd.randint(1, 3)):
            person, hours = rnd.choice(PEOPLE), rnd.choice([2, 4, 24, 48])
            due = at + timedelta(hours=hours)
            lender = rnd.choice(LENDERS)
            session = f"{code}-{n}"
            lent = dict(person=person, asset=code, due=due, session=session)
            if not add(at, kiosk=lender, type=EventType.CHECKOUT, **lent):
                break
            if rnd.random() < 0.2:
                due += timedelta(hours=24)
                add(
                    at + timedelta(minutes=30),
                    kiosk=lender,
                    type=EventType.EXTEND,
                    person=person,
                    asset=code,
                    due=due,
                )
            if rnd.random() < 0.15:
                break  # still out
            # back in time, a little late or very late (the grace period is 15 minutes)
            held = due - at
            back = at + timedelta(
                minutes=rnd.randint(10, int(held.total_seconds() // 60 * 1.4) + 90),
                seconds=rnd.randint(0, 59),
            )
            if not add(
                back,
                kiosk=rnd.choice(KIOSKS),
                type=EventType.RETURN,
                asset=code,
                condition=_condition(rnd),
                session=f"{session}-back",
            ):
                break
            at = back + timedelta(minutes=rnd.randint(5, 900))
    for _ in range(4):  # offline kiosks lending what someone else holds, perhaps
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(
            at,
            kiosk=rnd.choice(LENDERS),
            type=EventType.CHECKOUT,
            person=rnd.choice(PEOPLE),
            asset=rnd.choice(codes),
            due=at + timedelta(hours=4),
        )
    for _ in range(4):  # returns of what nobody may hold
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(at, kiosk=rnd.choice(KIOSKS), type=EventType.RETURN, asset=rnd.choice(codes))
    for _ in range(2):  # extensions by someone who may not hold the item
        at = start + timedelta(minutes=rnd.randint(0, span))
        add(
            at,
            kiosk=rnd.choice(LENDERS),
            type=EventType.EXTEND,
            person=rnd.choice(PEOPLE),
            asset=rnd.choice(codes),
            due=at + timedelta(hours=24),
        )
    return number(rows)


def arrivals(
    events: Sequence[CustodyEvent], rnd: random.Random, resent: float
) -> list[CustodyEvent]:
    """Arrival order, which is not event order: the events shuffled, a share sent twice."""
    sent = list(events) + rnd.sample(list(events), int(len(events) * resent))
    rnd.shuffle(sent)
    return sent


def event_order(events: Iterable[CustodyEvent]) -> list[CustodyEvent]:
    """The order the hub folds custody in: event time, kiosk, its sequence, id."""
    return sorted(events, key=lambda e: (e.at, e.kiosk, e.seq, e.id))


def returned_assets(events: Iterable[CustodyEvent]) -> set[str]:
    """Assets whose last custody event (in event order) is a return: nobody holds them."""
    last: dict[str, CustodyEvent] = {}
    for ev in event_order(events):
        if ev.asset is not None:
            last[ev.asset] = ev
    return {code for code, ev in last.items() if ev.type is EventType.RETURN}


def out_among(store: Store, codes: Iterable[str]) -> list[str]:
    """Which of these assets the store has as "out" or held."""
    wanted = sorted(codes)
    with store.engine.connect() as conn:
        out = set(
            conn.scalars(
                select(assets.c.code).where(assets.c.code.in_(wanted), assets.c.status == "out")
            )
        )
        out |= set(conn.scalars(select(holdings.c.asset).where(holdings.c.asset.in_(wanted))))
    return sorted(out)


def custody(store: Store) -> dict[str, Any]:
    """What ``tests.histories.state`` shows, without alerts: the hubs' sweepers raise them by
    the clock, and the store the same events go to in event order has none (``verify`` checks
    that no alert is open on a loan that has ended)."""
    seen = state(store)
    del seen["open alerts"]
    return seen


def kiosk_ledger_ids(store: Store) -> list[str]:
    """Ids of the kiosks' rows in the ledger (not the hub's own acquisitions), one per row."""
    with store.engine.connect() as conn:
        return list(conn.scalars(select(ledger.c.id).where(ledger.c.kiosk.in_(KIOSKS))))


def tag_ledger_inserts(store: Store) -> None:
    """PostgreSQL: every ledger row inserted from now on names the process that inserted it
    (its connection's application_name), so a test can tell which hub committed what. The hub
    names the columns it inserts, so it never sees this one."""
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "ALTER TABLE ledger ADD COLUMN inserted_by text "
                "DEFAULT current_setting('application_name')"
            )
        )


def ledger_rows_by(store: Store) -> dict[str, int]:
    """Kiosk rows in the ledger per inserting process (see ``tag_ledger_inserts``)."""
    by: ColumnClause[str] = column("inserted_by")
    q = select(by, func.count()).select_from(ledger).where(ledger.c.kiosk.in_(KIOSKS)).group_by(by)
    with store.engine.connect() as conn:
        return {str(who): int(n) for who, n in conn.execute(q)}


def in_event_order(
    config: HubConfig,
    url: str,
    registered: datetime,
    keys: dict[str, bytes],
    events: Sequence[CustodyEvent],
    now: datetime,
) -> Store:
    """A fresh store opened as the hubs open theirs, the same registry, the events committed
    one at a time in event order. The caller closes it."""
    store = open_store(
        config.model_copy(update={"hub": config.hub.model_copy(update={"database": url})})
    )
    register(store, registered, keys)
    for ev in event_order(events):
        store.commit_events([(ev, ev.model_dump_json())], now)
    return store


# hub processes --------------------------------------------------------------------------------


def write_hub_config(
    folder: Path,
    name: str,
    database: str,
    broker_port: int,
    hub_password: str,
    instance: str | None = None,
    ca_file: Path | None = None,
) -> Path:
    """A hub.toml (as deploy/hub/hub.toml.example, secrets in files) for one hub process. Its
    broker session is instance ``instance`` (default: ``name``): one per hub running at once,
    the same for a hub started again in the place of one that stopped. It trusts the broker
    certificate's CA ``ca_file`` (the test process's by default)."""
    folder.mkdir(parents=True, exist_ok=True)
    # written once: a hub process started earlier may be reading them
    for secret, value in (("hub-broker-password", hub_password), ("web-secret", "w" * 40)):
        if not (folder / secret).exists():
            (folder / secret).write_text(value)
    config = folder / f"{name}.toml"
    config.write_text(
        f'[hub]\ndatabase = "{database}"\n\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {broker_port}\nusername = "hub"\n'
        f'password_file = "{folder / "hub-broker-password"}"\n'
        f'tls_ca = "{ca_file or local_pki().ca_file}"\n'
        f'instance = "{instance or name}"\n\n'
        f'[web]\nbind = "127.0.0.1"\nport = {free_port()}\n'
        f'secret_key_file = "{folder / "web-secret"}"\n\n'
        # a sweep pass every second, by whichever hub is elected: while events commit
        "[alerts]\ninterval_seconds = 1\n\n" + STRIKES
    )
    load_config(config)  # a mistake here shows as itself, not as a hub that never connects
    return config


def hub_command() -> list[str]:
    """The ``cagekeeper-hub`` entry point of the interpreter running the tests."""
    script = Path(sys.executable).with_name("cagekeeper-hub")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from hub.cli import main; main()"]


class HubProcess(LoggedProcess):
    """``cagekeeper-hub -c CONFIG serve`` in its own process, its output in a log file."""

    stop_timeout = 15.0
    tail_lines = 30

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__([*hub_command(), "-c", str(config), "serve"], log)
        self.config = config

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown of any kind, as when the machine loses power."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


# kiosks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    """A hub status message as a kiosk hears it live (not the broker's retained copy)."""

    state: KioskState
    version: str | None


class Fleet:
    """The kiosks' side: one MQTT v5 client per kiosk, logged in as that kiosk."""

    def __init__(self, port: int, keys: dict[str, bytes], passwords: dict[str, str]) -> None:
        self.keys = keys
        self.payloads: dict[str, bytes] = {}  # event id -> the signed bytes, sent again as such
        self.kiosk_of: dict[str, str] = {}
        self.acks: dict[str, list[AckResult]] = defaultdict(list)
        self.errors: list[str] = []
        self.presence: list[Presence] = []
        self.sent_at: dict[str, float] = {}  # event id -> when it was last published
        self.resent = 0  # sent again by the kiosks' own rules, not by a test
        self._cond = threading.Condition()
        self.clients: dict[str, mqtt.Client] = {}
        for kiosk in keys:
            self.clients[kiosk] = self._connect(port, kiosk, passwords[kiosk])

    def _connect(self, port: int, kiosk: str, password: str) -> mqtt.Client:
        ready = threading.Event()
        subscribed = threading.Event()
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=f"test-fleet-{kiosk}-{os.getpid()}",
            protocol=mqtt.MQTTv5,
        )
        client.username_pw_set(kiosk, password)
        client.tls_set_context(local_pki().client_context())
        client.on_connect = lambda *_a: ready.set()
        client.on_subscribe = lambda *_a: subscribed.set()
        client.on_message = self._on_message
        client.max_inflight_messages_set(100)
        client.connect("127.0.0.1", port)
        client.loop_start()
        if not ready.wait(10):
            raise TimeoutError(f"kiosk {kiosk} could not connect to the broker")
        topics = [(TOPICS.acks(kiosk), 1)]
        if not self.clients:  # one kiosk is enough to follow the hubs' presence
            topics.append((TOPICS.hub_status(), 1))
        client.subscribe(topics)
        if not subscribed.wait(10):
            raise TimeoutError(f"no SUBACK for kiosk {kiosk}")
        return client

    def _on_message(self, _c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
        payload = bytes(msg.payload)
        with self._cond:
            if msg.topic == TOPICS.hub_status():
                if not msg.retain:
                    status = HubStatus.model_validate_json(payload)
                    self.presence.append(Presence(status.state, status.version))
            else:
                kiosk = TOPICS.kiosk_of(msg.topic)
                try:
                    batch = decode_ack(payload, self.keys[kiosk or ""])
                except (WireError, KeyError) as exc:
                    self.errors.append(f"an ack on {msg.topic} failed its check: {exc}")
                else:
                    for ack in batch.acks:
                        self.acks[str(ack.id)].append(ack.result)
                        if ack.result is AckResult.REJECTED:
                            self.errors.append(f"event {ack.id} rejected: {ack.error}")
            self._cond.notify_all()

    def send(self, events: Iterable[CustodyEvent]) -> None:
        """Publish each event at QoS 1 on its kiosk's topic, signed with its kiosk's key."""
        for ev in events:
            if ev.id not in self.payloads:
                self.payloads[ev.id] = encode_event(ev, self.keys[ev.kiosk])
                self.kiosk_of[ev.id] = ev.kiosk
            self._publish(ev.id)

    def _publish(self, event_id: str) -> None:
        kiosk = self.kiosk_of[event_id]
        self.sent_at[event_id] = time.monotonic()
        self.clients[kiosk].publish(TOPICS.events(kiosk), self.payloads[event_id], qos=1)

    def resend(self, ids: Iterable[str]) -> int:
        """Publish these events again, the same bytes (a kiosk's outbox); returns how many."""
        count = 0
        for event_id in ids:
            self._publish(event_id)
            count += 1
        return count

    def settled(self, event_id: str) -> bool:
        return any(r in SETTLED for r in self.acks.get(event_id, ()))

    def unsettled(self, ids: Iterable[str]) -> list[str]:
        with self._cond:
            return [i for i in ids if not self.settled(i)]

    def wait(
        self,
        done: Callable[[], bool],
        timeout: float,
        what: str,
        alive: Callable[[], str | None] = lambda: None,
        every: Callable[[], None] = lambda: None,
    ) -> None:
        """Wait for ``done`` (checked whenever a message comes in); fail on a rejected event,
        on ``alive`` naming a problem (a hub process that exited) or after ``timeout``.
        ``every`` runs at least twice a second meanwhile (a kiosk's resend timer)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._cond:
                if done():
                    return
                if self.errors:
                    raise AssertionError("; ".join(self.errors[:5]))
                problem = alive()
                if problem is not None:
                    raise AssertionError(f"waiting for {what}: {problem}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} in {timeout} s")
                self._cond.wait(min(left, 0.5))  # wakes on every message
            every()  # not holding the lock: it may publish

    def wait_settled(
        self,
        ids: Sequence[str],
        timeout: float,
        alive: Callable[[], str | None] = lambda: None,
        resend_after: float | None = None,
    ) -> None:
        """Until every event is acknowledged committed or duplicate.

        Meanwhile the kiosks resend as their outboxes do (kiosk.link): everything not
        acknowledged when a hub comes (back) online, and with ``resend_after`` an event sent
        that long ago with no ack yet. ``resent`` counts these sends.
        """
        onlines = self.count_presence(KioskState.ONLINE)

        def resend_due() -> None:
            nonlocal onlines
            pending = self.unsettled(ids)
            now_online = self.count_presence(KioskState.ONLINE)
            if now_online > onlines:
                onlines = now_online
                self.resent += self.resend(pending)
            elif resend_after is not None:
                due = time.monotonic() - resend_after
                self.resent += self.resend(i for i in pending if self.sent_at[i] <= due)

        try:
            self.wait(lambda: all(self.settled(i) for i in ids), timeout, "acks", alive, resend_due)
        except TimeoutError as exc:
            left = self.unsettled(ids)
            raise TimeoutError(f"{exc}: {len(left)} of {len(ids)} events unacknowledged") from None

    def count_presence(self, state: KioskState) -> int:
        with self._cond:
            return sum(1 for p in self.presence if p.state is state)

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()
            client.loop_stop()
