"""Spreadsheet imports from the dashboard: the upload read with a size limit (counted as it
arrives, so a huge body is refused without being stored), then parsed and stored on the
heavy-work pool, all rows or none."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from hub.errors import AlreadyExists, NotFound, StoreError
from hub.registry_csv import CsvImportError
from hub.web import offload

log = logging.getLogger(__name__)
FORM_SLACK = 64 * 1024  # the multipart framing and the CSRF field around the file
SHOWN_PROBLEMS = 100  # a file of 50,000 bad rows lists the first ones, then how many more


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    """What an import form sent: the file's bytes, or why there are none."""

    data: bytes | None
    csrf: str
    problem: str | None = None


async def receive(request: Request, max_bytes: int) -> Upload:
    """The ``file`` and ``csrf`` fields of a multipart form, reading no more than a file of
    ``max_bytes`` needs."""
    too_large = f"the file is larger than {_size(max_bytes)}, the most one import takes here"
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return Upload(None, "", "send the file from the import form (multipart/form-data)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_SLACK:
        return Upload(None, "", too_large)
    parser = MultiPartParser(
        request.headers, _at_most(request, max_bytes + FORM_SLACK), max_files=1, max_fields=5
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        return Upload(None, "", too_large)
    except MultiPartException as exc:
        return Upload(None, "", f"the upload could not be read: {exc.message}")
    csrf = form.get("csrf")
    csrf = csrf if isinstance(csrf, str) else ""
    file = form.get("file")
    try:
        if not isinstance(file, UploadFile):
            return Upload(None, csrf, "choose a CSV file to import")
        data = await file.read(max_bytes + 1)
        if len(data) > max_bytes:
            return Upload(None, csrf, too_large)
        return Upload(data, csrf)
    finally:
        await form.close()


async def _at_most(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge()
        yield chunk


async def run(what: str, data: bytes, load: Callable[[bytes], int]) -> tuple[int | None, list[str]]:
    """``load(data)`` (parse and store, all or nothing) on the heavy-work pool: how many rows
    went in, or None and the problems a manager must fix."""

    def job() -> tuple[int | None, list[str]]:
        log.info("importing %s: %d bytes", what, len(data))
        try:
            count = load(data)
        except CsvImportError as exc:
            return None, _listed([str(e) for e in exc.errors])
        except (NotFound, AlreadyExists) as exc:
            return None, [str(exc)]
        except StoreError as exc:  # the database busy or away: nothing went in
            log.warning("import of %s failed: %s", what, exc)
            return None, [f"nothing was imported ({exc}); try again in a moment"]
        log.info("imported %s: %d rows", what, count)
        return count, []

    return await offload.run(job)


def _listed(problems: list[str]) -> list[str]:
    if len(problems) <= SHOWN_PROBLEMS:
        return problems
    more = len(problems) - SHOWN_PROBLEMS
    return [*problems[:SHOWN_PROBLEMS], f"… and {more:,} more problems like these"]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"
