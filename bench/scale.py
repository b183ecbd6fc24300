"""The hub's reads at scale, measured on this code and, where it can run, on the code before
(``--baseline DIR``, a checkout of it): the overdue sweeper's first and later passes at
1,000,000 open loans, the reports' first computation over 1,000,000 ledger events, and the
"out now" page and the assets CSV at 100,000 assets.

The databases are real SQLite files made by the hub's migrations (``Store.open``) and filled
with bulk inserts (executemany). Each measurement runs in a fresh process with the code under
test first on its path, so the two versions take turns on the same files; the sweeper works on
a copy of its file each run. Run: ``python -m bench.scale`` (``--small`` for 100,000 loans and
a tenth of the dashboard's data, ``--repeat N``, ``--baseline DIR``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # the fixed clock of every measurement
CHUNK = 20_000  # rows per executemany
LATER_PASSES = 3  # later sweeper passes per run, a minute of the clock apart
OVERDUE_SHARE = 0.261  # of the open loans: 261,000 of a million, as the hub that failed had
LOAN_SPREAD = timedelta(days=40)  # due times spread over this, the overdue share before NOW
USER, PASSWORD = "manager", "a long bench password"  # the manager build_dashboard adds


# building (this code only) ----------------------------------------------------------------


def _rows(count: int, make: Any) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, count, CHUNK):
        yield [make(n) for n in range(start, min(start + CHUNK, count))]


def build_loans(path: Path, loans: int, seed: int = 1) -> None:
    """``loans`` open loans of as many assets among 20,000 people, due over 40 days around
    NOW (26.1 % overdue), with no alerts raised yet: what a hub holds when its sweeper first
    starts."""
    from sqlalchemy import create_engine, insert

    from hub.store import Store
    from hub.store.schema import assets, holdings, people

    Store.open(f"sqlite:///{path}").close()
    rng = random.Random(seed)
    first_due = NOW - LOAN_SPREAD * OVERDUE_SHARE
    dues = [first_due + LOAN_SPREAD * (n / loans) for n in range(loans)]
    rng.shuffle(dues)  # asset order is not due order
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        for part in _rows(20_000, lambda n: {"id": f"s{n:06d}", "name": f"Student {n}"}):
            conn.execute(insert(people), part)
        for part in _rows(
            loans,
            lambda n: {
                "code": f"A{n:07d}",
                "name": f"Item {n}",
                "category": "camera",
                "status": "out",
            },
        ):
            conn.execute(insert(assets), part)
        for part in _rows(
            loans,
            lambda n: {
                "asset": f"A{n:07d}",
                "person": f"s{n % 20_000:06d}",
                "since": dues[n] - timedelta(days=2),
                "due": dues[n],
                "kiosk": "cage-1",
                "event_id": f"loan-{n:07d}",
            },
        ):
            conn.execute(insert(holdings), part)
    engine.dispose()


def build_dashboard(path: Path, small: bool) -> str:
    """The dashboard benchmark's hub: 100,000 assets, 1,000,000 ledger events over a year,
    8,000 items out (a tenth with ``small``)."""
    from bench.synthetic import NOW, Sizes, build
    from hub.web.auth import create_user

    sizes = Sizes().smaller(10) if small else Sizes()
    store, built = build(path, sizes)
    create_user(store, USER, PASSWORD, "manager", NOW)
    store.close()
    return ", ".join(f"{n:,} {table}" for table, n in built.rows.items())


# measuring (in a child process, on whichever code is first on its path) -------------------


def _read_through(db: str) -> None:
    """Read the file once, so every version starts with it in the page cache (the sweeper's
    copy of its own file may have pushed it out)."""
    with open(db, "rb") as f:
        while f.read(1 << 24):
            pass


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_sweep(db: str) -> dict[str, Any]:
    from hub.alerts.dispatch import Alerter
    from hub.store import Store

    store = Store.open(f"sqlite:///{db}", upgrade=False)
    clock = [NOW]
    alerter = Alerter(store, lambda: clock[0])
    began = time.perf_counter()
    try:
        first = alerter.sweep_once()
    except Exception as exc:  # the version before fails here at a million loans
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"}
    result: dict[str, Any] = {"first": time.perf_counter() - began, "raised": first.raised}
    later = []
    for n in range(LATER_PASSES):
        clock[0] = NOW + timedelta(minutes=n + 1)
        began = time.perf_counter()
        alerter.sweep_once()
        later.append(time.perf_counter() - began)
    store.close()
    return {**result, "later": statistics.median(later)}


def _client(db: str) -> Any:
    import warnings

    warnings.filterwarnings("ignore")
    from fastapi.testclient import TestClient

    from hub.store import Store
    from hub.web.app import WebSettings, create_app

    store = Store.open(f"sqlite:///{db}", upgrade=False)
    app = create_app(store, WebSettings(secret_key="b" * 40), lambda: NOW)
    client = TestClient(app)
    form = client.get("/login").text
    csrf = form.split('name="csrf" value="')[1].split('"')[0]
    client.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf})
    return client


def measure_reports(db: str) -> dict[str, Any]:
    from hub.domain.usage import week_start
    from hub.store import Store

    store = Store.open(f"sqlite:///{db}", upgrade=False)
    end = week_start(NOW) + timedelta(days=7)
    began = time.perf_counter()
    store.report(end - timedelta(weeks=12), end)
    report = time.perf_counter() - began
    store.close()
    client = _client(db)
    began = time.perf_counter()
    page = client.get("/reports")  # the page's first computation: figures, valuation, charts
    return {"report": report, "page": time.perf_counter() - began, "status": page.status_code}


def measure_out(db: str) -> dict[str, Any]:
    client = _client(db)
    client.get("/out")  # templates compiled, caches warm
    began = time.perf_counter()
    reply = client.get("/out")
    return {"out": time.perf_counter() - began, "bytes": len(reply.content)}


def measure_csv(db: str) -> dict[str, Any]:
    """The download over a real socket (the test client would wait for the whole body)."""
    import threading
    import warnings

    warnings.filterwarnings("ignore")
    import httpx
    import uvicorn

    from hub.localbroker import free_port
    from hub.store import Store
    from hub.web.app import WebSettings, create_app

    store = Store.open(f"sqlite:///{db}", upgrade=False)
    app = create_app(store, WebSettings(secret_key="b" * 40), lambda: NOW)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the dashboard did not start")
        threading.Event().wait(0.02)  # uvicorn offers no start signal to wait on
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            form = client.get("/login").text
            csrf = form.split('name="csrf" value="')[1].split('"')[0]
            client.post("/login", data={"username": USER, "password": PASSWORD, "csrf": csrf})
            before = _peak_mb()
            began = time.perf_counter()
            first = None
            size = 0
            with client.stream("GET", "/assets?format=csv") as reply:
                for piece in reply.iter_raw():
                    if first is None:
                        first = time.perf_counter() - began
                    size += len(piece)
            total = time.perf_counter() - began
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    return {"csv": total, "first_byte": first, "bytes": size, "peak_mb": _peak_mb() - before}


MEASURES = {
    "sweep": measure_sweep,
    "reports": measure_reports,
    "out": measure_out,
    "csv": measure_csv,
}


# running ---------------------------------------------------------------------------------


def run(kind: str, db: Path, code: Path) -> dict[str, Any]:
    """One measurement in a fresh process with ``code`` first on its path."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [sys.executable, __file__, "--measure", kind, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1][:160]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def _show(value: float | None, unit: str = "s") -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    return f"{value:,.1f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--measure", choices=sorted(MEASURES), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--loans", type=int, default=1_000_000, help="open loans to sweep")
    parser.add_argument("--small", action="store_true", help="100,000 loans, a tenth the rest")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code before")
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    parser.add_argument(
        "--only", default=",".join(MEASURES), help="what to measure (sweep,reports,out,csv)"
    )
    args = parser.parse_args()
    if args.measure:
        _read_through(args.db)
        print(json.dumps(MEASURES[args.measure](args.db)))
        return
    loans = 100_000 if args.small else args.loans
    wanted = set(args.only.split(","))
    if not wanted <= set(MEASURES):
        parser.error(f"--only takes {','.join(MEASURES)}")
    here = Path(__file__).resolve().parent.parent
    versions = [("this code", here)]
    if args.baseline is not None:
        versions.append(("before", args.baseline.resolve()))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cagekeeper-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        print(f"load average at start: {os.getloadavg()[0]:.2f} (2-core machine)", flush=True)
        sweep_db, hub_db = folder / "loans.db", folder / "hub.db"
        began = time.perf_counter()
        if "sweep" in wanted and not sweep_db.exists():
            build_loans(sweep_db, loans)
        if not hub_db.exists():
            print("dashboard data:", build_dashboard(hub_db, args.small))
        print(f"built in {time.perf_counter() - began:.0f} s; {loans:,} open loans", flush=True)
        results: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for n in range(args.repeat):
            for name, code in versions if n % 2 == 0 else versions[::-1]:  # taking turns
                if "sweep" in wanted:
                    copy = folder / "sweep-run.db"
                    shutil.copy(sweep_db, copy)
                    results.setdefault((name, "sweep"), []).append(run("sweep", copy, code))
                    copy.unlink()
                for kind in ("reports", "out", "csv"):
                    if kind in wanted:
                        results.setdefault((name, kind), []).append(run(kind, hub_db, code))
                print(f"run {n + 1} ({name}) done, load {os.getloadavg()[0]:.2f}", flush=True)
        _table(results, versions, loans, args.repeat)
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


def _table(
    results: dict[tuple[str, str], list[dict[str, Any]]],
    versions: list[tuple[str, Path]],
    loans: int,
    repeat: int,
) -> None:
    rows = [
        (f"sweeper, first pass, {loans:,} open loans", "sweep", "first", "s"),
        ("sweeper, later pass (a minute later)", "sweep", "later", "s"),
        ("reports: ReportStore.report, 12 weeks", "reports", "report", "s"),
        ("reports page, first computation", "reports", "page", "s"),
        ("/out page, server time", "out", "out", "s"),
        ("/out page, size", "out", "bytes", "KB"),
        ("assets CSV, whole download", "csv", "csv", "s"),
        ("assets CSV, time to first byte", "csv", "first_byte", "s"),
        ("assets CSV, peak memory growth", "csv", "peak_mb", "MB"),
    ]
    names = [name for name, _ in versions]
    print(f"\nmedians of {repeat} runs")
    print(f"{'figure':<46}" + "".join(f"{n:>16}" for n in names))
    for label, kind, key, unit in rows:
        cells = []
        for name in names:
            runs = results.get((name, kind), [])
            errors = [r["error"] for r in runs if "error" in r]
            if errors and len(errors) == len(runs):
                cells.append("fails")
                continue
            value = _median(runs, key)
            if unit == "KB" and value is not None:
                cells.append(f"{value / 1024:,.0f} KB")
            else:
                cells.append(_show(value, unit))
        print(f"{label:<46}" + "".join(f"{c:>16}" for c in cells))
    for (name, kind), runs in sorted(results.items()):
        for error in sorted({r["error"] for r in runs if "error" in r}):
            print(f"{name}, {kind}: {error}")


if __name__ == "__main__":
    main()
