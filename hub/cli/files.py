"""Files the CLI writes appear whole or not at all.

A command that fails half way (the database busy, the disk full, Ctrl-C) must not leave an empty
or cut-off kiosk config, export or backup where the operator expects a good one: everything is
written to a temporary file in the same folder, flushed to disk and renamed over the target.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def replacing(target: Path, mode: int | None = None) -> Iterator[Path]:
    """A temporary path next to ``target`` for the block to fill (by Python or by a tool such as
    pg_dump); when the block ends without an error it is synced and renamed to ``target``,
    otherwise removed. ``mode`` defaults to what a new file gets under the umask; secrets pass
    0o600, which the file has from its creation on."""
    target = Path(target)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise click.FileError(str(target), exc.strerror) from exc
    os.close(fd)
    temp = Path(name)
    try:
        os.chmod(temp, mode if mode is not None else 0o666 & ~_umask())
        yield temp
        with open(temp, "rb+") as f:  # the tool may have replaced the file: sync what is there
            os.fsync(f.fileno())
        os.replace(temp, target)
        _fsync_folder(folder)
    finally:
        temp.unlink(missing_ok=True)


def write_file(
    target: Path, data: str | bytes, mode: int | None = None, encoding: str = "utf-8"
) -> None:
    """Write ``data`` to ``target`` whole or not at all."""
    with replacing(target, mode) as temp:
        if isinstance(data, str):
            temp.write_text(data, encoding=encoding)
        else:
            temp.write_bytes(data)


def ensure_writable(target: Path) -> None:
    """Fail now, before a command changes anything, if ``target`` cannot be written: a kiosk
    registered whose config then could not be saved would have its new key shown nowhere."""
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise click.FileError(str(target), "it is a folder")
    if not folder.is_dir():
        raise click.FileError(str(target), f"no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.FileError(str(target), f"cannot write in {folder}")
