"""What an asset's history costs each commit: custody is re-derived from all of its events.

Commits one checkout and its return to an asset that already has N loans in the ledger, on a
real SQLite hub store, and times the two commits; the baseline is the same pair on an asset with
no history, measured in the same run. Prints medians of the repeats (and the range).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.store import Store
from wire import CustodyEvent, EventType
from wire.ids import uuid7

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


class Feed:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.seq = 0

    def event(self, at: datetime, **fields: object) -> CustodyEvent:
        self.seq += 1
        return CustodyEvent.model_validate(
            {"id": uuid7(int(at.timestamp() * 1000)), "kiosk": "cage-1", "seq": self.seq, "at": at}
            | fields
        )

    def loan(self, asset: str, at: datetime) -> list[CustodyEvent]:
        return [
            self.event(
                at,
                type=EventType.CHECKOUT,
                person="ada",
                asset=asset,
                due=at + timedelta(hours=4),
            ),
            self.event(at + timedelta(hours=1), type=EventType.RETURN, asset=asset),
        ]


def timed_pair(loans: int, repeats: int) -> list[float]:
    """Milliseconds to commit one checkout and one return (two transactions) to an asset that
    has ``loans`` loans in the ledger already."""
    with tempfile.TemporaryDirectory(prefix="cagekeeper-bench-") as tmp:
        store = Store.open(f"sqlite:///{Path(tmp) / 'hub.db'}")
        store.add_person("ada", "Ada")
        store.add_asset("CAM-1", "Camera", "camera")
        store.add_kiosk("cage-1", "cage-1", T0 - timedelta(days=1))
        feed = Feed(store)
        at = T0
        history = [e for n in range(loans) for e in feed.loan("CAM-1", at + timedelta(hours=2 * n))]
        for start in range(0, len(history), 500):
            part = history[start : start + 500]
            store.commit_events([(e, e.model_dump_json()) for e in part], T0)
        at += timedelta(hours=2 * loans)
        times = []
        for _ in range(repeats):
            pair = feed.loan("CAM-1", at)
            at += timedelta(hours=2)
            begin = time.perf_counter()
            for e in pair:
                store.commit_events([(e, e.model_dump_json())], at)
            times.append((time.perf_counter() - begin) * 1000)
        store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each size")
    parser.add_argument("--pairs", type=int, default=20, help="timed pairs per run")
    parser.add_argument("--loans", type=int, nargs="+", default=[0, 100, 1000, 5000])
    args = parser.parse_args()
    rows = []
    for loans in args.loans:
        medians = [statistics.median(timed_pair(loans, args.pairs)) for _ in range(args.repeat)]
        rows.append((loans, medians))
    base = statistics.median(rows[0][1])
    print(f"medians of {args.repeat} runs of {args.pairs} pairs; shared machine, expect noise")
    print(f"{'loans already in the history':>30} {'ms per checkout+return':>24} {'ratio':>7}")
    for loans, medians in rows:
        med = statistics.median(medians)
        spread = f"({min(medians):.1f}-{max(medians):.1f})"
        print(f"{loans:>30} {med:>12.1f} {spread:>11} {med / base:>7.2f}")


if __name__ == "__main__":
    main()
