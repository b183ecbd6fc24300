"""A hub that has lived through a year: its registry and custody made through the hub's own
code, at the size in the product spec (100,000 assets, 1,000,000 ledger events, 5,000 people).

People, badges, categories, assets and kiosks go in as a manager's imports and commands put
them; a year of custody goes in as kiosks' checkout and return events, committed in batches by
``Store.commit_events`` as ingest hands them over, so holdings, asset states, late returns,
bans and report sums are the hub's own projection of them; the kiosks report their status and
the overdue sweeper raises its alerts. Nothing is written to a table by hand, so replaying the
ledger gives exactly the database made (``Store.verify``; tests/integration/test_synthetic.py).

The benchmarks that need a large hub (bench.dashboard, bench.scale, bench.replica) build one
with ``build``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from hub.alerts.dispatch import Alerter
from hub.store import Store
from hub.store.schema import (
    alerts,
    assets,
    badges,
    categories,
    holdings,
    kiosks,
    ledger,
    people,
)
from wire import AckResult, CustodyEvent, EventType, KioskState, KioskStatus, ReturnCondition
from wire.ids import uuid7

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the ledger ends here
HISTORY = timedelta(days=365)
BATCH = 500  # events per commit, as ingest batches them
IN_TIME = 0.9  # the share of returns that come back before they are due

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
    out: int = 8_000  # items out when the year ends ...
    overdue: int = 1_000  # ... and how many of them overdue

    def smaller(self, factor: int) -> Sizes:
        return Sizes(
            assets=self.assets // factor,
            events=self.events // factor,
            people=self.people // factor,
            kiosks=self.kiosks,
            out=self.out // factor,
            overdue=self.overdue // factor,
        )

    def problem(self) -> str | None:
        """Why these sizes cannot be made (None if they can)."""
        if not 0 <= self.overdue <= self.out <= self.assets or self.events < self.out:
            return "need overdue <= out <= assets and out <= events"
        if self.people < 1 or self.kiosks < 1 or self.assets < 1:
            return "need at least one person, kiosk and asset"
        return None


@dataclass(frozen=True)
class Built:
    seconds: float
    ledger_seconds: float
    rows: dict[str, int]


@dataclass
class Move:
    """One custody event of the year, planned before its due time is settled."""

    at: datetime
    kiosk: int
    asset: int
    person: int
    lend: bool
    due: datetime | None = None  # a checkout's; settled once its return is known
    back_at: datetime | None = None  # when a checkout comes back (None: still out)


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


def _period(kind: str, amount: int) -> timedelta:
    return timedelta(days=amount) if kind == "days" else timedelta(hours=amount)


class Year:
    """The registry's names and a year of checkouts and returns, in time order.

    Checkouts lean ahead until about ``sizes.out`` items are out, then the two balance; the
    last events are forced so that the year ends with that many out. Most returns come back
    in time; of the loans still out at the end, the oldest ``sizes.overdue`` are overdue.
    """

    def __init__(self, sizes: Sizes, rng: random.Random) -> None:
        self.sizes, self.rng = sizes, rng
        per = -(-sizes.assets // len(CATEGORIES))
        self.codes = [f"{c[1]}-{n:05d}" for c in CATEGORIES for n in range(1, per + 1)]
        self.codes = self.codes[: sizes.assets]
        self.category = [i // per for i in range(sizes.assets)]
        self.person_ids = [f"s{2_000_000 + i}" for i in range(sizes.people)]
        uids = rng.sample(range(1 << 32), sizes.people)
        self.badge = [f"{u:08X}" for u in uids]
        self.kiosk_ids = [f"cage-{i + 1}" for i in range(sizes.kiosks)]
        self.place = {k: CAGES[i % len(CAGES)] for i, k in enumerate(self.kiosk_ids)}
        self.moves = self._plan()
        self._settle_dues()

    def _plan(self) -> list[Move]:
        rng, sizes = self.rng, self.sizes
        idle, out = _Pool(list(range(sizes.assets))), _Pool([])
        lent: dict[int, Move] = {}
        moves: list[Move] = []
        step = HISTORY / sizes.events
        start = NOW - HISTORY
        for i in range(sizes.events):
            left = sizes.events - i
            excess = len(out) - sizes.out
            if excess >= left or not idle:
                lend = False
            elif -excess >= left or not out:
                lend = True
            else:
                lend = rng.random() < (0.55 if excess < 0 else 0.45)
            at = start + step * i
            kiosk = rng.randrange(sizes.kiosks)
            if lend:
                asset = idle.take(rng)
                move = Move(at, kiosk, asset, rng.randrange(sizes.people), True)
                lent[asset] = move
                out.add(asset)
            else:
                asset = out.take(rng)
                checkout = lent.pop(asset)
                checkout.back_at = at
                move = Move(at, kiosk, asset, checkout.person, False)
                idle.add(asset)
            moves.append(move)
        return moves

    def _settle_dues(self) -> None:
        """Each checkout's due time: its category's loan period, or (for most of those that
        come back later) a little after its return, as if the loan had been longer."""
        rng = self.rng
        still_out: list[Move] = []
        for move in self.moves:
            if not move.lend:
                continue
            _, _, kind, amount, _ = CATEGORIES[self.category[move.asset]]
            move.due = move.at + _period(kind, amount)
            if move.back_at is None:
                still_out.append(move)
            elif move.back_at >= move.due and rng.random() < IN_TIME:
                move.due = move.back_at + timedelta(minutes=rng.randrange(10, 24 * 60))
        for n, move in enumerate(still_out):  # oldest first
            assert move.due is not None
            if n < self.sizes.overdue:
                if move.due >= NOW:
                    move.due = move.at + (NOW - move.at) / 2
            elif move.due <= NOW:
                move.due = NOW + timedelta(minutes=rng.randrange(30, 5 * 24 * 60))

    def events(self) -> Iterator[CustodyEvent]:
        """The year as the kiosks recorded it: each kiosk numbering its own events."""
        seq = [0] * self.sizes.kiosks
        for move in self.moves:
            seq[move.kiosk] += 1
            fields: dict[str, object] = {
                "id": uuid7(int(move.at.timestamp() * 1000), self.rng.randbytes(10)),
                "kiosk": self.kiosk_ids[move.kiosk],
                "seq": seq[move.kiosk],
                "at": move.at,
                "session": self.rng.randbytes(8).hex(),
                "badge": self.badge[move.person],
                "person": self.person_ids[move.person],
                "asset": self.codes[move.asset],
            }
            if move.lend:
                fields |= {"type": EventType.CHECKOUT, "due": move.due}
            else:
                fields |= {"type": EventType.RETURN, "condition": ReturnCondition.OK}
            yield CustodyEvent.model_validate(fields)


def register(store: Store, year: Year) -> None:
    """The registry as a manager sets it up: loan periods, people and their badges from a
    sheet, the asset register from a sheet, the kiosks."""
    began = NOW - HISTORY - timedelta(days=30)
    for name, _, kind, amount, _ in CATEGORIES:
        store.set_loan_period(name, kind, amount)
    store.import_people(
        [
            {
                "id": pid,
                "name": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}",
                "email": f"{pid}@example.edu",
                "staff": i % 100 == 0,
                "groups": [f"course-{i % 40}"],
                "badges": [year.badge[i]],
            }
            for i, pid in enumerate(year.person_ids)
        ],
        began,
        "bench",
    )
    rng = year.rng
    rows = []
    for i, code in enumerate(year.codes):
        name, _, _, _, models = CATEGORIES[year.category[i]]
        cost = Decimal(rng.randrange(2_000, 400_000)) / 100
        rows.append(
            {
                "code": code,
                "name": models[i % len(models)],
                "category": name,
                "serial": f"SN{rng.getrandbits(40):010X}",
                "home": CAGES[i % len(CAGES)],
                "value": cost,
                "acquired": date(2020, 1, 1) + timedelta(days=rng.randrange(2000)),
                "cost": cost,
                "supplier": "Campus AV supplies",
            }
        )
    store.import_assets(rows, began, "bench")
    for k in year.kiosk_ids:
        store.add_kiosk(k, f"{year.place[k]} kiosk {k}", began, location=year.place[k])


def commit_year(store: Store, year: Year, batch: int = BATCH) -> int:
    """Every event of the year through the hub's commit path, in batches as ingest forms
    them, each received two seconds after its last event; returns how many were committed."""
    committed = 0
    part: list[CustodyEvent] = []

    def flush() -> int:
        outcomes = store.commit_events(
            [(e, e.model_dump_json()) for e in part], part[-1].at + timedelta(seconds=2)
        )
        refused = [o for o in outcomes if o.result is not AckResult.COMMITTED]
        if refused:
            raise RuntimeError(f"the hub did not commit a generated event: {refused[0]}")
        return len(outcomes)

    for event in year.events():
        part.append(event)
        if len(part) == batch:
            committed += flush()
            part = []
    if part:
        committed += flush()
    return committed


def report_status(store: Store, year: Year) -> None:
    """Each kiosk's last status: online, its outbox empty."""
    at = NOW - timedelta(seconds=30)
    for k in year.kiosk_ids:
        status = KioskStatus(kiosk=k, state=KioskState.ONLINE, at=at, outbox=0)
        store.record_status(status, status.model_dump_json(), at, live=False)


def counts(store: Store) -> dict[str, int]:
    tables = (categories, people, badges, kiosks, assets, ledger, holdings, alerts)
    with store.engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


def build(path: Path, sizes: Sizes, seed: int = 1) -> tuple[Store, Built]:
    """A migrated hub database at ``path`` holding a year of custody (see the module's
    docstring); the same ``seed`` makes the same hub."""
    problem = sizes.problem()
    if problem is not None:
        raise ValueError(problem)
    began = time.perf_counter()
    store = Store.open(f"sqlite:///{path}")
    year = Year(sizes, random.Random(seed))
    register(store, year)
    ledger_began = time.perf_counter()
    commit_year(store, year)
    ledger_seconds = time.perf_counter() - ledger_began
    report_status(store, year)
    Alerter(store, lambda: NOW).run_once()  # the sweeper's alerts for what is overdue now
    return store, Built(time.perf_counter() - began, ledger_seconds, counts(store))
