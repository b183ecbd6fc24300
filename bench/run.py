"""Run the benchmarks several times and print a table of medians (min-max)."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess

from bench.e2e import latencies, p95, throughput


def _machine() -> str:
    try:
        first = subprocess.run(
            ["mosquitto", "-h"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    except (OSError, IndexError):
        first = "mosquitto: unknown"
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {first}"


def _table(rows: list[tuple[str, list[float], str]]) -> list[str]:
    width = max(44, *(len(name) for name, _v, _u in rows))
    lines = [f"{'figure':<{width}} {'median':>10} {'unit':<9} range"]
    for name, values, unit in rows:
        med = statistics.median(values)
        lines.append(
            f"{name:<{width}} {med:>10.1f} {unit:<9} ({min(values):.1f}-{max(values):.1f})"
        )
    return lines


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

    print(_machine())
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
    print("\n".join(_table(rows)))


if __name__ == "__main__":
    main()
