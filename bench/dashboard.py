"""The dashboard at scale: server time of the pages a manager opens, on a hub database of the
size in the product spec (100,000 assets, 1,000,000 ledger events, 5,000 people).

The database is made once per run in a temporary directory by bench.synthetic, through the
hub's own registry commands and commit path, so it is what a hub that lived through that year
would hold. The pages are then requested through the real app in-process (session, login,
templating and JSON included; no network) with a fixed clock, so overdue marks do not drift.
Run: ``python -m bench.dashboard`` (``--assets N``, ``--events N``, ``--requests N``,
``--quick``, ``--profile [URL]``).
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import io
import pstats
import re
import statistics
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import event, func, select
from starlette.responses import StreamingResponse

from bench.synthetic import NOW, Sizes, build
from hub.alerts.dispatch import Alerter
from hub.store import Store
from hub.store.schema import holdings
from hub.web.app import WebSettings, create_app
from hub.web.auth import create_user

with warnings.catch_warnings():  # the test client's notice about httpx, at import
    warnings.filterwarnings("ignore", message="Using .httpx. with .starlette.testclient")
    from fastapi.testclient import TestClient

USER, PASSWORD = "manager", "a long bench password"
OVERVIEW_TARGET_MS = 100.0


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


def time_sweeps(store: Store, passes: int = 5) -> list[float]:
    """One sweeper pass over the whole hub (its backlog raised when the hub was made),
    repeated: it must read only loans near their due time (the holdings' due index), never
    the ledger."""
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
    problem = sizes.problem()
    if problem is not None:
        parser.error(problem)
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        path = Path(tmp) / "hub.db"
        store, built = build(path, sizes)
        create_user(store, USER, PASSWORD, "manager", NOW)
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
            print(f"\noverdue sweeper pass: median {statistics.median(sweep_ms):.1f} ms")
            if any(t.verdict == "FAIL" for t in timings if t.url == "/"):
                profile(store, client, "/")
            if args.profile and not (args.profile == "/" and timings[0].verdict == "FAIL"):
                profile(store, client, args.profile)
        finally:
            store.close()


if __name__ == "__main__":
    main()
