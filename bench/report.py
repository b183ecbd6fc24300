"""How the load benchmarks print: the machine, its load, and tables of medians with ranges."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from collections.abc import Sequence


def machine() -> str:
    try:
        first = subprocess.run(
            ["mosquitto", "-h"], capture_output=True, text=True, check=False
        ).stdout.splitlines()[0]
    except (OSError, IndexError):
        first = "mosquitto: unknown"
    return f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {first}"


def load() -> str:
    """The machine's load averages (1, 5, 15 min): other work competing with the benchmark."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def table(rows: Sequence[tuple[str, Sequence[float], str]], digits: int = 1) -> list[str]:
    """One line per figure: median, unit and the range across runs."""
    width = max(40, *(len(name) for name, _v, _u in rows))
    lines = [f"{'figure':<{width}} {'median':>10} {'unit':<10} range"]
    for name, values, unit in rows:
        med = statistics.median(values)
        lines.append(
            f"{name:<{width}} {med:>10,.{digits}f} {unit:<10} "
            f"({min(values):,.{digits}f}-{max(values):,.{digits}f})"
        )
    return lines
