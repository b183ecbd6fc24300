"""The dashboard at scale: server time of the pages a manager opens, on a hub database of the
size in the product spec (100,000 assets, 1,000,000 ledger events, 5,000 people).

The database is built once per run in a temporary directory, by bulk inserts through
SQLAlchemy Core into a file migrated by ``Store.open``, so it has the hub's real schema and
indexes. The pages are then requested through the real app in-process (session, login,
templating and JSON included; no network) with a fixed clock, so overdue marks do not drift.
Run: ``python -m bench.dashboard`` (``--assets N``, ``--events N``, ``--requests N``,
``--quick``, ``--profile [URL]``).
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import json
import pstats
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import (
    Connection,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from starlette.responses import StreamingResponse

from hub.alerts.dispatch import Alerter
from hub.store import Store, loan_weeks
from hub.store.schema import (
    alerts,
    assets,
    badges,
    categories,
    holdings,
    kiosk_status,
    kiosks,
    ledger,
    people,
)
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user
from wire.ids import uuid7

with warnings.catch_warnings():  # the test client's notice about httpx, at import
    warnings.filterwarnings("ignore", message="Using .httpx. with .starlette.testclient")
    from fastapi.testclient import TestClient

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the app's fixed clock; the ledger ends here
HISTORY = timedelta(days=365)
CHUNK = 10_000  # rows per executemany and per commit
USER, PASSWORD = "manager", "a long bench password"
OVERVIEW_TARGET_MS = 100.0

# name, label prefix, loan period, amount, models
CATEGORIES: tuple[tuple[str, str, str, int, tuple[str, ...]], ...] = (
    ("camera", "CAM", "hours", 48, ("Canon C70", "Sony FX3", "Blackmagic 6K Pro")),
    ("lens", "LENS", "hours", 48, ("Zeiss 50mm", "Sigma 18-35mm", "Canon 24-70mm")),
    ("tripod", "TRI", "hours", 72, ("Manfrotto 504X", "Sachtler Ace M")),
    ("microphone", "MIC", "hours", 48, ("Rode NTG5", "Sennheiser MKE 600", "Shure SM7B")),
    ("recorder", "REC", "hours", 48, ("Zoom F6", "Tascam DR-40X")),
    ("light", "LGT", "hours", 72, ("Aputure 300d", "Nanlite Forza 60")),
    ("laptop", "LAP", "days", 7, ("MacBook Pro 14", "ThinkPad X1")),
    ("tablet", "TAB", "days", 7, ("iPad Air", "Galaxy Tab S9")),
    ("projector", "PROJ", "hours", 24, ("Epson EB-L200", "BenQ MH560")),
    ("drone", "DRN", "hours", 24, ("DJI Mini 4", "DJI Air 3")),
    ("gimbal", "GIM", "hours", 48, ("DJI RS 3", "Zhiyun Crane 4")),
    ("monitor", "MON", "hours", 72, ("Atomos Ninja V", "SmallHD Indie 7")),
    ("headphones", "HP", "days", 7, ("Sony MDR-7506", "Beyerdynamic DT 770")),
    ("vr", "VR", "hours", 24, ("Meta Quest 3", "HTC Vive XR")),
    ("battery", "BAT", "hours", 24, ("V-mount 98Wh", "NP-F970")),
    ("cable", "CBL", "days", 7, ("SDI 10m", "XLR 5m", "HDMI 3m")),
    ("stand", "STD", "hours", 72, ("C-stand 40in", "Light stand 2m")),
    ("mixer", "MIX", "hours", 48, ("Zoom LiveTrak L-8", "Yamaha MG10XU")),
    ("speaker", "SPK", "hours", 72, ("JBL EON710", "Genelec 8030")),
    ("calculator", "CALC", "days", 7, ("TI-84 Plus", "Casio fx-CG50")),
)
FIRST = ("Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken")
LAST = ("Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman")
CAGES = ("Film cage", "Audio cage", "Media library", "Makerspace", "Science store")


@dataclass(frozen=True)
class Sizes:
    assets: int = 100_000
    events: int = 1_000_000
    people: int = 5_000
    kiosks: int = 10
    out: int = 8_000
    overdue: int = 1_000
    alerts: int = 300

    def smaller(self, factor: int) -> Sizes:
        return Sizes(
            assets=self.assets // factor,
            events=self.events // factor,
            people=self.people // factor,
            kiosks=self.kiosks,
            out=self.out // factor,
            overdue=self.overdue // factor,
            alerts=self.alerts // factor,
        )


@dataclass(frozen=True)
class Loan:
    event_id: str
    person: int
    since: datetime
    due: datetime
    kiosk: str


@dataclass(frozen=True)
class Built:
    seconds: float
    ledger_seconds: float
    rows: dict[str, int]


@dataclass(frozen=True)
class Timing:
    url: str
    status: int
    size: int
    ms: list[float]
    target: float | None
    first_ms: float  # the cold request: nothing cached yet

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.ms, n=20, method="inclusive")[18]

    @property
    def verdict(self) -> str:
        if self.status != 200:
            return "ERROR"
        if self.target is None:
            return "-"
        return "pass" if self.median < self.target else "FAIL"


class _Pool:
    """Asset indexes that can give up a random member in O(1) (swap with the last, pop)."""

    def __init__(self, members: list[int]) -> None:
        self.members = members

    def __len__(self) -> int:
        return len(self.members)

    def add(self, member: int) -> None:
        self.members.append(member)

    def take(self, rng: random.Random) -> int:
        i = rng.randrange(len(self.members))
        member, last = self.members[i], self.members.pop()
        if i < len(self.members):
            self.members[i] = last
        return member


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _load(conn: Connection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert in chunks, each one executemany and one commit, so memory stays flat."""
    count = 0
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)
        conn.commit()
        count += len(chunk)
    return count


def _period(kind: str, amount: int) -> timedelta:
    return timedelta(days=amount) if kind == "days" else timedelta(hours=amount)


class Hub:
    """The generated registry and a year of custody: what the bulk inserts are made from."""

    def __init__(self, sizes: Sizes, rng: random.Random) -> None:
        self.sizes = sizes
        self.rng = rng
        per = -(-sizes.assets // len(CATEGORIES))
        self.codes = [f"{c[1]}-{n:05d}" for c in CATEGORIES for n in range(1, per + 1)]
        self.codes = self.codes[: sizes.assets]
        self.category = [i // per for i in range(sizes.assets)]
        self.person_ids = [f"s{2_000_000 + i}" for i in range(sizes.people)]
        uids = rng.sample(range(1 << 32), sizes.people * 11 // 10)
        self.badge = [f"{u:08X}" for u in uids[: sizes.people]]
        self.spare_badges = [f"{u:08X}" for u in uids[sizes.people :]]
        self.kiosk_ids = [f"cage-{i + 1}" for i in range(sizes.kiosks)]
        self.kiosk_place = {k: CAGES[i % len(CAGES)] for i, k in enumerate(self.kiosk_ids)}
        self.seq = dict.fromkeys(self.kiosk_ids, 0)
        self.checkouts = [0] * sizes.assets
        self.seen: list[tuple[datetime, str] | None] = [None] * sizes.assets
        self.loans: list[Loan | None] = [None] * sizes.assets
        self.out = _Pool([])

    def ledger_rows(self) -> Iterator[dict[str, Any]]:
        """Checkouts and returns in time order, each asset alternating, over a year.

        Checkouts lean ahead until about ``sizes.out`` items are out, then the two balance;
        the last events are forced so that the year ends with that many out.
        """
        rng, sizes = self.rng, self.sizes
        idle = _Pool(list(range(sizes.assets)))
        step = HISTORY / sizes.events
        start = NOW - HISTORY
        for i in range(sizes.events):
            left = sizes.events - i
            excess = len(self.out) - sizes.out
            if excess >= left or not idle:
                lend = False
            elif -excess >= left or not self.out:
                lend = True
            else:
                lend = rng.random() < (0.55 if excess < 0 else 0.45)
            at = start + step * i
            kiosk = self.kiosk_ids[rng.randrange(sizes.kiosks)]
            self.seq[kiosk] += 1
            seq = self.seq[kiosk]
            event_id = uuid7(int(at.timestamp() * 1000), rng.randbytes(10))
            if lend:
                asset = idle.take(rng)
                person = rng.randrange(sizes.people)
                _, _, kind, amount, _ = CATEGORIES[self.category[asset]]
                due = at + _period(kind, amount)
                self.loans[asset] = Loan(event_id, person, at, due, kiosk)
                self.checkouts[asset] += 1
                self.out.add(asset)
                condition = None
            else:
                asset = self.out.take(rng)
                loan = self.loans[asset]
                assert loan is not None
                person, due, condition = loan.person, loan.due, "ok"
                self.loans[asset] = None
                self.seen[asset] = (at, self.kiosk_place[kiosk])
                idle.add(asset)
            kind_of = "checkout" if lend else "return"
            yield {
                "id": event_id,
                "kiosk": kiosk,
                "seq": seq,
                "type": kind_of,
                "at": at,
                "session": rng.randbytes(8).hex(),
                "badge": self.badge[person],
                "person": self.person_ids[person],
                "asset": self.codes[asset],
                "due": due if lend else None,
                "condition": condition,
                "reason": None,
                "detail": None,
                "received_at": at + timedelta(seconds=2),
                "payload": json.dumps(
                    {"v": 1, "id": event_id, "type": kind_of, "asset": self.codes[asset]},
                    separators=(",", ":"),
                ),
            }

    def settle_dues(self) -> list[tuple[int, Loan]]:
        """Make the oldest ``sizes.overdue`` loans overdue and every other loan still in time.

        Returns in the simulation pick items at random, which leaves most of what is out
        overdue; the spec's hub has about one in eight, so the due times of those are set.
        """
        settled: list[tuple[int, Loan]] = []
        held = [(loan, a) for a in self.out.members if (loan := self.loans[a]) is not None]
        for n, (loan, asset) in enumerate(sorted(held, key=lambda pair: pair[0].since)):
            if n < self.sizes.overdue:
                due = loan.due if loan.due < NOW else loan.since + (NOW - loan.since) / 2
            else:
                later = timedelta(minutes=self.rng.randrange(30, 5 * 24 * 60))
                due = loan.due if loan.due > NOW else NOW + later
            settled.append((asset, replace(loan, due=due)))
            self.loans[asset] = settled[-1][1]
        return settled

    def asset_rows(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for i, code in enumerate(self.codes):
            name, _, _, _, models = CATEGORIES[self.category[i]]
            home = CAGES[i % len(CAGES)]
            seen = self.seen[i]
            cost = Decimal(rng.randrange(2_000, 400_000)) / 100
            yield {
                "code": code,
                "name": models[i % len(models)],
                "category": name,
                "status": "out" if self.loans[i] is not None else "available",
                "kit": None,
                "serial": f"SN{rng.getrandbits(40):010X}",
                "home": home,
                "location": seen[1] if seen else home,
                "value": cost,
                "photo_url": None,
                "notes": None,
                "acquired": date(2020, 1, 1) + timedelta(days=rng.randrange(2000)),
                "cost": cost,
                "supplier": "Campus AV supplies",
                "disposed_reason": None,
                "last_seen": seen[0] if seen else None,
                "last_service": None,
                "checkouts_since_service": self.checkouts[i] % 20,
            }

    def people_rows(self) -> Iterator[dict[str, Any]]:
        for i, pid in enumerate(self.person_ids):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
            yield {
                "id": pid,
                "name": name,
                "email": f"{pid}@example.edu",
                "active": True,
                "staff": i % 100 == 0,
                "groups": f"course-{i % 40}",
                "blocked_until": None,
                "blocked_reason": None,
            }

    def badge_rows(self) -> Iterator[dict[str, Any]]:
        for i, uid in enumerate(self.badge):
            yield {"uid": uid, "person_id": self.person_ids[i], "revoked": False}
        for i, uid in enumerate(self.spare_badges):  # a lost card, replaced
            yield {"uid": uid, "person_id": self.person_ids[i * 10], "revoked": True}

    def holding_rows(self, settled: list[tuple[int, Loan]]) -> Iterator[dict[str, Any]]:
        for asset, loan in settled:
            yield {
                "asset": self.codes[asset],
                "person": self.person_ids[loan.person],
                "since": loan.since,
                "due": loan.due,
                "kiosk": loan.kiosk,
                "event_id": loan.event_id,
                "renewals": 0,
            }

    def kiosk_rows(self) -> Iterator[dict[str, Any]]:
        for k in self.kiosk_ids:
            yield {
                "id": k,
                "name": f"{self.kiosk_place[k]} kiosk {k}",
                "hmac_key": self.rng.randbytes(32),
                "created_at": NOW - HISTORY - timedelta(days=30),
                "location": self.kiosk_place[k],
            }

    def status_rows(self) -> Iterator[dict[str, Any]]:
        for k in self.kiosk_ids:
            yield {
                "kiosk": k,
                "state": "online",
                "updated_at": NOW - timedelta(seconds=30),
                "payload": json.dumps({"v": 1, "kiosk": k, "state": "online", "outbox": 0}),
            }

    def alert_rows(self, settled: list[tuple[int, Loan]]) -> Iterator[dict[str, Any]]:
        """The sweeper's alerts for some overdue loans: overdue, escalated after a day."""
        late = [(a, loan) for a, loan in settled if loan.due < NOW][: self.sizes.alerts]
        for asset, loan in late:
            stage = "escalated" if NOW - loan.due > timedelta(days=1) else "overdue"
            raised = loan.due + timedelta(minutes=5)
            yield {
                "id": f"{stage}:{loan.event_id}:{int(loan.due.timestamp())}",
                "kind": stage,
                "asset": self.codes[asset],
                "person": self.person_ids[loan.person],
                "loan": loan.event_id,
                "due": loan.due,
                "raised_at": raised,
                "withdrawn_at": None,
                "text": f"{self.codes[asset]} held by {self.person_ids[loan.person]}: {stage}.",
                "email_at": raised + timedelta(minutes=1),
                "webhook_at": None,
                "mqtt_at": raised + timedelta(seconds=1),
                "attempts": 1,
                "last_error": None,
            }


def build(path: Path, sizes: Sizes, seed: int = 1) -> tuple[Store, Built]:
    """A migrated hub database with a year of custody, made fast enough to build every run.

    The load runs on an engine of its own with a big page cache and no fsync, and the
    ledger's secondary indexes are dropped during the load and made again from their own DDL
    afterwards: sorting once is far cheaper than a million inserts at random places.
    """
    began = time.perf_counter()
    store = Store.open(f"sqlite:///{path}")
    hub = Hub(sizes, random.Random(seed))
    rows: dict[str, int] = {}
    loader = create_engine(f"sqlite:///{path}")
    with loader.connect() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        rows["categories"] = _load(
            conn,
            categories,
            iter({"name": c[0], "period": c[2], "amount": c[3]} for c in CATEGORIES),
        )
        rows["people"] = _load(conn, people, hub.people_rows())
        rows["badges"] = _load(conn, badges, hub.badge_rows())
        rows["kiosks"] = _load(conn, kiosks, hub.kiosk_rows())
        rows["kiosk_status"] = _load(conn, kiosk_status, hub.status_rows())
        ledger_began = time.perf_counter()
        deferred = conn.execute(
            text(
                "SELECT name, sql FROM sqlite_master"
                " WHERE type = 'index' AND tbl_name = 'ledger' AND sql IS NOT NULL"
            )
        ).all()
        for name, _ in deferred:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        rows["ledger"] = _load(conn, ledger, hub.ledger_rows())
        settled = hub.settle_dues()
        conn.execute(
            update(ledger).where(ledger.c.id == bindparam("loan")).values(due=bindparam("new")),
            [{"loan": loan.event_id, "new": loan.due} for _, loan in settled],
        )
        for _, ddl in deferred:
            conn.exec_driver_sql(ddl)
        conn.commit()
        ledger_seconds = time.perf_counter() - ledger_began
        rows["assets"] = _load(conn, assets, hub.asset_rows())
        rows["holdings"] = _load(conn, holdings, hub.holding_rows(settled))
        rows["alerts"] = _load(conn, alerts, hub.alert_rows(settled))
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    loader.dispose()
    with store.engine.begin() as conn:  # a bulk-loaded ledger: its loans summed as 0017 does
        loan_weeks.rebuild(conn, locking=False)
    create_user(store, USER, PASSWORD, "manager", NOW)
    return store, Built(time.perf_counter() - began, ledger_seconds, rows)


# requests ---------------------------------------------------------------------------------

# what a manager opens; the overview and the items-out API exist in every version, the others
# are timed once the dashboard has them
PAGES: tuple[tuple[str, float | None], ...] = (
    ("/", OVERVIEW_TARGET_MS),
    ("/api/v1/overview", None),
    ("/api/v1/items-out", None),
    ("/assets?q=CAM", None),
    ("/people", None),
    ("/maintenance", None),
    ("/stocktakes", None),
    ("/reports", None),
    ("/api/v1/feed", None),
)
ALWAYS = ("/", "/api/v1/items-out")


def _get_routes(app: FastAPI) -> dict[str, APIRoute]:
    """Every GET route by its full path, those of included routers too (newer FastAPI keeps
    them inside the router rather than copying them into ``app.routes``)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        found = [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    else:
        found = [
            (ctx.path or ctx.original_route.path, ctx.original_route)
            for ctx in iter_route_contexts(app.routes)
            if isinstance(ctx.original_route, APIRoute)
        ]
    return {path: r for path, r in found if "GET" in (r.methods or ())}


def _streams(route: APIRoute) -> bool:
    """An SSE or other endless response would never finish under the test client."""
    for kind in (route.response_class, inspect.signature(route.endpoint).return_annotation):
        if isinstance(kind, type) and issubclass(kind, StreamingResponse):
            return True
        if isinstance(kind, str) and re.search(r"Streaming|EventSource", kind):
            return True  # an annotation left as text by ``from __future__ import annotations``
    return False


def pages(app: FastAPI) -> tuple[list[tuple[str, float | None]], list[str]]:
    """The pages to time, and why any of the wanted ones are left out."""
    routes = _get_routes(app)
    chosen: list[tuple[str, float | None]] = []
    skipped: list[str] = []
    for url, target in PAGES:
        route = routes.get(url.split("?")[0])
        if route is None:
            if url in ALWAYS:
                raise SystemExit(f"the dashboard has no GET {url}")
            skipped.append(f"{url} (no such route)")
        elif _streams(route):
            skipped.append(f"{url} (streams: server-sent events)")
        else:
            chosen.append((url, target))
    return chosen, skipped


def login(app: FastAPI) -> TestClient:
    client = TestClient(app)
    form = client.get("/login").text
    match = re.search(r'name="csrf" value="([^"]+)"', form)
    if match is None:
        raise SystemExit("no CSRF token on the login page")
    reply = client.post(
        "/login",
        data={"username": USER, "password": PASSWORD, "csrf": match.group(1)},
        follow_redirects=False,
    )
    if reply.status_code != 303:
        raise SystemExit(f"login failed: {reply.status_code}")
    return client


def time_page(client: TestClient, url: str, target: float | None, requests: int) -> Timing:
    began = time.perf_counter()
    reply = client.get(url, follow_redirects=False)  # warm-up: caches, templates, pages
    first = (time.perf_counter() - began) * 1000
    ms: list[float] = []
    for _ in range(requests):
        began = time.perf_counter()
        reply = client.get(url, follow_redirects=False)
        ms.append((time.perf_counter() - began) * 1000)
    return Timing(url, reply.status_code, len(reply.content), ms, target, first)


def time_sweeps(store: Store, passes: int = 6) -> list[float]:
    """One sweeper pass over the whole hub, repeated: it must read only loans near their due
    time (the holdings' due index), never the ledger."""
    alerter = Alerter(store, lambda: NOW)
    ms = []
    for _ in range(passes):
        began = time.perf_counter()
        alerter.run_once()
        ms.append((time.perf_counter() - began) * 1000)
    return ms


def profile(store: Store, client: TestClient, url: str, requests: int = 5) -> None:
    """Where one page's time goes: each SQL statement replayed alone (run and fetched, with
    SQLite's plan, slowest first), then a cProfile of the request in every thread it runs in.

    The test client serves each request from fresh threads (an event loop and a worker for
    sync routes), so a profiler is started in each new thread and their figures are merged.
    """
    seen: list[tuple[str, Any]] = []

    def note(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        client.get(url)
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    print(f"\nSQL of GET {url}, each replayed alone (execute + fetch all, median of 3):")
    replayed: list[tuple[float, int, str, list[str]]] = []
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        for statement, parameters in seen:
            runs = []
            for _ in range(3):
                began = time.perf_counter()
                found = len(cursor.execute(statement, parameters).fetchall())
                runs.append((time.perf_counter() - began) * 1000)
            ms = statistics.median(runs)
            plan = cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            replayed.append((ms, found, statement, [str(row[-1]) for row in plan]))
        cursor.close()
    for ms, found, statement, plan in sorted(replayed, key=lambda r: r[0], reverse=True):
        print(f"{ms:8.2f} ms {found:>6} rows  {' '.join(statement.split())[:140]}")
        for step in plan:
            print(f"{'':25}plan: {step}")

    profilers: list[cProfile.Profile] = []

    def start(*_: Any) -> None:
        sys.setprofile(None)
        profilers.append(profiler := cProfile.Profile())
        profiler.enable()

    threading.setprofile(start)
    try:
        for _ in range(requests):
            client.get(url)
    finally:
        threading.setprofile(None)
    stats = pstats.Stats(*profilers, stream=(out := io.StringIO()))
    stats.sort_stats("cumulative").print_stats(r"hub|jinja2|sqlalchemy|json|fastapi", 30)
    print(f"\ncProfile of {requests} x GET {url}, all threads, cumulative:")
    print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    defaults = Sizes()
    parser.add_argument("--assets", type=int, default=defaults.assets)
    parser.add_argument("--events", type=int, default=defaults.events, help="ledger rows")
    parser.add_argument("--people", type=int, default=defaults.people)
    parser.add_argument("--out", type=int, default=defaults.out, help="items out at the end")
    parser.add_argument("--overdue", type=int, default=defaults.overdue, help="of those out")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per page")
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    parser.add_argument(
        "--profile",
        nargs="?",
        const="/",
        metavar="URL",
        help="profile a page (default: the overview) after timing; a failing overview always is",
    )
    args = parser.parse_args()
    sizes = replace(
        defaults,
        assets=args.assets,
        events=args.events,
        people=args.people,
        out=args.out,
        overdue=args.overdue,
    )
    if args.quick:
        sizes = sizes.smaller(10)
    if not 0 <= sizes.overdue <= sizes.out <= sizes.assets or sizes.events < sizes.out:
        parser.error("need overdue <= out <= assets and out <= events")
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        path = Path(tmp) / "hub.db"
        store, built = build(path, sizes)
        try:
            with store.engine.connect() as conn:
                out = conn.scalar(select(func.count()).select_from(holdings)) or 0
                late = conn.scalar(select(func.count()).where(holdings.c.due < NOW)) or 0
            print(
                f"built in {built.seconds:.1f} s (ledger {built.ledger_seconds:.1f} s): "
                + ", ".join(f"{n:,} {t}" for t, n in built.rows.items())
            )
            print(f"{out:,} items out, {late:,} overdue; database {_size(path) / 1e6:.0f} MB")
            app = create_app(store, WebSettings(secret_key="b" * 40), lambda: NOW)
            chosen, skipped = pages(app)
            client = login(app)
            timings = [time_page(client, url, target, args.requests) for url, target in chosen]
            print(f"\nserver time in-process, {args.requests} requests after one warm-up")
            print(
                f"{'route':<22} {'status':>6} {'KB':>7} {'first ms':>9} {'median ms':>10} "
                f"{'p95 ms':>8} {'min ms':>8} {'target':>7}  result"
            )
            for t in timings:
                target = f"{t.target:.0f} ms" if t.target is not None else "-"
                print(
                    f"{t.url:<22} {t.status:>6} {t.size / 1024:>7.0f} {t.first_ms:>9.1f} "
                    f"{t.median:>10.1f} "
                    f"{t.p95:>8.1f} {min(t.ms):>8.1f} {target:>7}  {t.verdict}"
                )
            for s in skipped:
                print(f"not timed: {s}")
            sweep_ms = time_sweeps(store)
            print(
                f"\noverdue sweeper pass: first {sweep_ms[0]:.0f} ms (raises the backlog), "
                f"then median {statistics.median(sweep_ms[1:]):.1f} ms"
            )
            if any(t.verdict == "FAIL" for t in timings if t.url == "/"):
                profile(store, client, "/")
            if args.profile and not (args.profile == "/" and timings[0].verdict == "FAIL"):
                profile(store, client, args.profile)
        finally:
            store.close()


if __name__ == "__main__":
    main()
