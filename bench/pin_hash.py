"""How long a kiosk takes to check a door PIN: ``wire.pins.verify_pin`` at the shipped scrypt
cost (and one step either side), median and range of ``--repeat`` checks, with the memory each
check uses. Run it on the kiosk's own board: ``python -m bench.pin_hash``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from wire.pins import BLOCK, LOG2_N, PARALLEL, hash_pin, verify_pin


def time_checks(log2_n: int, repeat: int) -> list[float]:
    stored = hash_pin("2468", log2_n=log2_n)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert verify_pin(stored, "2468")
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    print(f"{platform.machine()} {platform.processor() or ''}".strip())
    print("cost                 memory   median ms   min-max ms")
    for log2_n in (LOG2_N - 1, LOG2_N, LOG2_N + 1):
        times = time_checks(log2_n, args.repeat)
        mib = 128 * BLOCK * (1 << log2_n) * PARALLEL / 2**20
        mark = "  (shipped)" if log2_n == LOG2_N else ""
        print(
            f"ln={log2_n},r={BLOCK},p={PARALLEL}  {mib:4.0f} MiB   {statistics.median(times):8.0f}"
            f"   {min(times):.0f}-{max(times):.0f}{mark}"
        )


if __name__ == "__main__":
    main()
