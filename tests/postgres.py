"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder, on a free loopback
port, as the postgres user when the tests run as root (initdb refuses root)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hub.localbroker import free_port


def _tool(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(
            f"PostgreSQL's {name} is missing: apt-get install postgresql (scripts/setup.sh --test)"
        )
    return found


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextmanager
def cluster(fsync: bool = False, max_connections: int | None = None) -> Iterator[tuple[str, int]]:
    """Yields (host, port) of a running cluster with trust auth on 127.0.0.1 only; without
    fsync unless asked (tests need no durability), with PostgreSQL's default connection limit
    unless given one."""
    folder = Path(tempfile.mkdtemp(prefix="cagekeeper-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1"
    if not fsync:
        options += " -c fsync=off"
    if max_connections is not None:
        options += f" -c max_connections={max_connections}"
    try:
        subprocess.run(
            _as_owner(
                [
                    _tool("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            _as_owner(
                [
                    _tool("pg_ctl"),
                    "-D",
                    str(data),
                    "-w",
                    "-t",
                    "60",
                    "-l",
                    str(folder / "log"),
                    "-o",
                    options,
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
            timeout=90,
        )
        yield "127.0.0.1", port
    finally:
        subprocess.run(
            _as_owner([_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)
