"""A hub database already migrated, copied for each test that needs an empty one.

Running every migration takes about half a second; most tests only need their result. The
template is made once per test process by the real migrations (``Store.open``), so each copy is
exactly what a new hub starts with; tests/integration/test_migrations.py runs them from scratch.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from hub.store import Store

_made: list[Path] = []


def _template() -> Path:
    if not _made:
        folder = Path(tempfile.mkdtemp(prefix="cagekeeper-template-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "hub.db"
        Store.open(f"sqlite:///{path}").close()  # the last connection folds the WAL in
        _made.append(path)
    return _made[0]


def fresh_sqlite(path: Path) -> str:
    """Copy an empty, migrated hub database to ``path``; returns its URL."""
    shutil.copyfile(_template(), path)
    return f"sqlite:///{path}"
