"""Run the benchmarks several times and print a table of medians (min-max)."""

from __future__ import annotations

import argparse
import statistics

from bench.e2e import latencies, p95, throughput
from bench.report import load as load_average
from bench.report import machine, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=2000, help="events per kiosk")
    parser.add_argument("--kiosks", type=int, default=4)
    parser.add_argument("--sessions", type=int, default=50, help="checkouts per latency run")
    parser.add_argument(
        "--no-denied",
        action="store_true",
        help="skip the second throughput run, of refusals only",
    )
    parser.add_argument("--quick", action="store_true", help="small numbers, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.events, args.sessions = 1, 200, 10

    load_before = load_average()
    rates, denied, receipt_med, receipt_p95, commit_med, commit_p95 = [], [], [], [], [], []
    for _ in range(args.repeat):
        rates.append(throughput(args.kiosks, args.events, "custody"))
        if not args.no_denied:
            denied.append(throughput(args.kiosks, args.events, "denied"))
        to_receipt, to_commit = latencies(args.sessions)
        receipt_med.append(statistics.median(to_receipt))
        receipt_p95.append(p95(to_receipt))
        commit_med.append(statistics.median(to_commit))
        commit_p95.append(p95(to_commit))

    print(machine())
    print(f"load average (1/5/15 min) before / after: {load_before} / {load_average()}")
    print(f"medians of {args.repeat} runs (min-max across runs); shared machine, expect noise")
    load = f"{args.kiosks} kiosks x {args.events}"
    rows = [(f"checkouts+returns committed and acked ({load})", rates, "events/s")]
    if denied:
        rows.append((f"denials only, no asset, committed and acked ({load})", denied, "events/s"))
    rows += [
        (f"tap-to-receipt, median of {args.sessions}", receipt_med, "ms"),
        (f"tap-to-receipt, p95 of {args.sessions}", receipt_p95, "ms"),
        ("receipt-to-committed (hub ack), median", commit_med, "ms"),
        ("receipt-to-committed (hub ack), p95", commit_p95, "ms"),
    ]
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
