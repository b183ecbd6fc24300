"""Fixtures with real parts: Mosquitto from deploy/'s config on a free port, SQLite files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

from tests.harness import Cage


@pytest.fixture
def cage(tmp_path: Path) -> Iterator[Cage]:
    """A broker, a hub store with a small registry and a running hub link."""
    c = Cage(tmp_path)
    try:
        c.start()
        yield c
    finally:
        c.close()
