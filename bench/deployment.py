"""A whole deployment on this machine, for the load benchmarks: Mosquitto with the project's
configuration, a hub database (an SQLite file, or a database on a real PostgreSQL cluster),
a registry (people, a pool of assets per kiosk, kiosks with their own keys and broker logins),
and hub processes started from a hub.toml as an operator would write it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import ColumnClause, column, event, func, select, text

from bench.hubproc import PAHO, HubProcess, process_cpu, thread_cpu
from hub.config import BrokerSection, load_config
from hub.localbroker import LocalBroker, free_port, local_pki
from hub.store import Store
from hub.store.schema import ledger
from tests.postgres import cluster
from wire import HubStatus, KioskState, Topics

TOPICS = Topics()
CAGE = "Bench cage"
LOAN = timedelta(hours=48)


@dataclass(frozen=True)
class Kiosk:
    """One kiosk's identity: broker login, signing key, the assets it lends and to whom."""

    id: str
    password: str
    key: bytes
    assets: tuple[str, ...]
    people: tuple[tuple[str, str], ...]  # person id, badge


class BulkBroker(LocalBroker):
    """LocalBroker whose password file is hashed in one ``mosquitto_passwd -U`` run: one tool
    run per login, as LocalBroker does, takes minutes for a thousand kiosks."""

    def write_passwords(self) -> None:
        passwd = self.folder / "passwd"
        passwd.write_text("".join(f"{user}:{pw}\n" for user, pw in self.users.items()))
        passwd.chmod(0o600)
        tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
        subprocess.run([tool, "-U", str(passwd)], check=True, capture_output=True)


@dataclass
class Deployment:
    folder: Path
    broker: BulkBroker
    store: Store
    database: str
    kiosks: list[Kiosk]
    hub_password: str
    hubs: list[HubProcess] = field(default_factory=list)

    def start_hubs(self, count: int, timeout: float = 60.0) -> None:
        """Start ``count`` hub processes and wait until each has said it is online (which it
        does after subscribing, so the broker hands it events from then on)."""
        seen = threading.Semaphore(0)
        watcher = _client(f"bench-watch-{os.getpid()}", self.kiosks[0].id, self.kiosks[0].password)

        def on_message(_c: mqtt.Client, _u: object, msg: mqtt.MQTTMessage) -> None:
            if not msg.retain and HubStatus.model_validate_json(msg.payload).state is (
                KioskState.ONLINE
            ):
                seen.release()

        subscribed = threading.Event()
        watcher.on_message = on_message
        watcher.on_subscribe = lambda *_a: subscribed.set()
        watcher.connect("127.0.0.1", self.broker.port)
        watcher.loop_start()
        try:
            watcher.subscribe(TOPICS.hub_status(), qos=1)
            if not subscribed.wait(10):
                raise RuntimeError("no SUBACK for the hub status watcher")
            for _ in range(count):
                name = _hub_name(len(self.hubs))
                database = self.database
                if database.startswith("postgresql"):
                    database += f"?application_name={name}"
                config = write_hub_config(
                    self.folder / "hubs", name, database, self.broker.port, self.hub_password
                )
                hub = HubProcess(config, self.folder / "hubs" / f"{name}.log")
                hub.start()
                self.hubs.append(hub)
            deadline = time.monotonic() + timeout
            for _ in range(count):
                while not seen.acquire(timeout=0.5):
                    for hub in self.hubs:
                        if (problem := hub.problem()) is not None:
                            raise RuntimeError(problem)
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"hubs not online after {timeout} s")
            # each hub names its threads within half a second of starting them: wait for that,
            # so a measurement starting now charges paho's thread to "paho"
            for hub in self.hubs:
                while not any(name == PAHO for name, _cpu in thread_cpu(hub.pid).values()):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"hub threads not named after {timeout} s")
                    time.sleep(0.05)
        finally:
            watcher.disconnect()
            watcher.loop_stop()

    def stop_hubs(self) -> None:
        for hub in self.hubs:
            hub.stop()
        self.hubs.clear()

    def hub_problem(self) -> str | None:
        for hub in self.hubs:
            if (problem := hub.problem()) is not None:
                return problem
        return None

    def broker_cpu(self) -> float:
        """CPU seconds the broker has used so far."""
        assert self.broker.process is not None
        return process_cpu(self.broker.process.pid)

    def tag_inserts(self) -> None:
        """PostgreSQL: each ledger row inserted from now on names the hub that inserted it
        (its connection's application_name, set in each hub's database URL), so that
        ``ledger_by_hub`` can count each hub's share. The hub names the columns it inserts, so
        it never sees this one."""
        with self.store.engine.begin() as conn:
            conn.execute(
                text(
                    "ALTER TABLE ledger ADD COLUMN inserted_by text "
                    "DEFAULT current_setting('application_name')"
                )
            )

    def ledger_by_hub(self) -> list[int]:
        """Kiosk events each hub process committed, in the order they were started (see
        ``tag_inserts``)."""
        by: ColumnClause[str] = column("inserted_by")
        mine = ledger.c.kiosk.in_([k.id for k in self.kiosks])
        q = select(by, func.count()).select_from(ledger).where(mine).group_by(by)
        with self.store.engine.connect() as conn:
            counts = {str(who): int(n) for who, n in conn.execute(q)}
        return [counts.get(_hub_name(n), 0) for n in range(len(self.hubs))]

    def ledger_ids(self) -> list[str]:
        """Every kiosk event id in the ledger, one per row (a duplicate would show twice); not
        the hub's own rows (an asset's acquisition)."""
        mine = ledger.c.kiosk.in_([k.id for k in self.kiosks])
        with self.store.engine.connect() as conn:
            return list(conn.scalars(select(ledger.c.id).where(mine)))

    def ledger_received(self) -> dict[str, tuple[datetime, datetime]]:
        """Each kiosk event's time (``at``, stamped as it was sent) and when the hub took it
        into a batch (``received_at``), by id."""
        mine = ledger.c.kiosk.in_([k.id for k in self.kiosks])
        with self.store.engine.connect() as conn:
            q = select(ledger.c.id, ledger.c.at, ledger.c.received_at).where(mine)
            return {i: (at, got) for i, at, got in conn.execute(q)}


def _hub_name(index: int) -> str:
    return f"hub{index + 1}"


def _client(client_id: str, user: str, password: str) -> mqtt.Client:
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
    )
    client.username_pw_set(user, password)
    client.tls_set_context(local_pki().client_context())
    return client


def write_hub_config(
    folder: Path, name: str, database: str, broker_port: int, hub_password: str
) -> Path:
    """A hub.toml as deploy/hub/hub.toml.example has it, secrets in files of their own; then
    read back, so that a mistake shows as itself, not as a hub that never connects."""
    folder.mkdir(parents=True, exist_ok=True)
    for secret, value in (("hub-broker-password", hub_password), ("web-secret", "w" * 40)):
        if not (folder / secret).exists():
            (folder / secret).write_text(value)
    config = folder / f"{name}.toml"
    # Hubs with a broker session of their own need a name each, or those on one host would
    # share a client id and keep disconnecting each other.
    instance = f'instance = "{name}"\n' if "instance" in BrokerSection.model_fields else ""
    config.write_text(
        f'[hub]\ndatabase = "{database}"\n\n'
        f'[broker]\nhost = "127.0.0.1"\nport = {broker_port}\nusername = "hub"\n'
        f'password_file = "{folder / "hub-broker-password"}"\n'
        f'tls_ca = "{local_pki().ca_file}"\n{instance}\n'
        f'[web]\nbind = "127.0.0.1"\nport = {free_port()}\n'
        f'secret_key_file = "{folder / "web-secret"}"\n'
    )
    load_config(config)
    return config


def register(store: Store, count: int, pool: int, prefix: str = "k") -> list[Kiosk]:
    """``count`` kiosks standing in one cage, each with ``pool`` cameras of its own (48-hour
    loans and a service rule, so a checkout and a return do all their work) and ``pool``
    people who use it: as at a real site, two kiosks rarely serve the same person at once."""
    now = datetime.now(UTC)
    store.set_loan_hours("camera", int(LOAN.total_seconds() // 3600))
    store.set_service_rule("camera", every_days=365, every_checkouts=1_000_000)
    made = []
    for n in range(count):
        kiosk_id = f"{prefix}{n:04d}"
        codes = tuple(f"{kiosk_id.upper()}-{j}" for j in range(pool))
        people = tuple((f"{kiosk_id}-p{j}", f"{n:06X}{j:02X}") for j in range(pool))
        for code in codes:
            store.add_asset(code, f"Camera {code}", "camera", now=now)
        for person, badge in people:
            store.add_person(person, f"Bench {person}", [badge])
        key = store.add_kiosk(kiosk_id, kiosk_id, now, location=CAGE)
        made.append(Kiosk(kiosk_id, secrets.token_urlsafe(12), key, codes, people))
    return made


@contextmanager
def _unsynced(store: Store) -> Iterator[None]:
    """Registration commits without waiting for the disk (SQLite ``synchronous=OFF``,
    PostgreSQL ``synchronous_commit=off``): thousands of one-row transactions otherwise take
    minutes before the measuring starts. The hubs' own connections are not affected."""
    sql = (
        "PRAGMA synchronous=OFF"
        if store.engine.dialect.name == "sqlite"
        else ("SET synchronous_commit TO off")
    )

    def on_connect(dbapi_conn: Any, _record: object) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute(sql)
        cursor.close()
        dbapi_conn.commit()  # a SET inside a transaction would end with it

    event.listen(store.engine, "connect", on_connect)
    store.engine.dispose()  # the pool's connections so far were made without it
    try:
        yield
    finally:
        event.remove(store.engine, "connect", on_connect)
        store.engine.dispose()


@contextmanager
def deployment(
    kiosks: int, pool: int = 2, postgres: tuple[str, int] | None = None
) -> Iterator[Deployment]:
    """Broker, registered store and kiosks; hubs are started by the caller (``start_hubs``).
    With ``postgres`` (host, port) the hub database is a fresh database on that cluster."""
    with tempfile.TemporaryDirectory(prefix="cagekeeper-load-") as tmp:
        folder = Path(tmp)
        if postgres is None:
            database = f"sqlite:///{folder / 'hub.db'}"
        else:
            database = create_database(*postgres)
        store = Store.open(database)
        broker: BulkBroker | None = None
        dep: Deployment | None = None
        try:
            with _unsynced(store):
                made = register(store, kiosks, pool)
            hub_password = secrets.token_urlsafe(16)
            users = {"hub": hub_password, **{k.id: k.password for k in made}}
            broker = BulkBroker(folder / "broker", users)
            broker.folder.mkdir()
            broker.start()
            dep = Deployment(folder, broker, store, database, made, hub_password)
            if postgres is not None:
                dep.tag_inserts()
            yield dep
        finally:
            if dep is not None:
                dep.stop_hubs()
            if broker is not None:
                broker.stop()
            store.close()


# PostgreSQL -----------------------------------------------------------------------------------


@contextmanager
def postgres_cluster(fsync: bool = True) -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL cluster (the test suite's: initdb in a temporary folder, trust
    auth on loopback); yields (host, port). ``fsync`` on, as a hub's database runs, unless told
    otherwise; room for the connections of several hub processes."""
    with cluster(fsync=fsync, max_connections=200) as found:
        yield found


def create_database(host: str, port: int) -> str:
    """A fresh, empty database on the cluster; returns its SQLAlchemy URL."""
    import psycopg

    name = f"load_{secrets.token_hex(4)}"
    with psycopg.connect(
        host=host, port=port, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@{host}:{port}/{name}"
