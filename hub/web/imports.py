"""Spreadsheet imports from the dashboard, one handler for every register: the upload read
with a size limit (counted as it arrives, so a huge body is refused without being stored),
previewed (how its columns map, what would be added, changed, left alone or refused and why)
or imported whole, on the heavy-work pool."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from hub import sheet_import
from hub.errors import StoreError
from hub.sheets import CsvImportError, Kind, parse_overrides
from hub.sheets.cells import STATUSES
from hub.sheets.vendors import CUSTOM, IGNORE, KEEP
from hub.web import offload
from hub.web.context import Web
from hub.web.security import Principal, check_csrf

log = logging.getLogger(__name__)
FORM_SLACK = 64 * 1024  # the multipart framing and the small fields around the file
MAX_FIELDS = 500  # a preview sends back one choice per column
SHOWN_PROBLEMS = 100  # a file of 50,000 bad rows lists the first ones, then how many more
SHOWN_ROWS = 200  # rows listed per outcome in a preview; the counts cover all


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    """What an import form sent: the file's bytes (uploaded, or sent back from a preview), the
    step asked for and the manager's column and status choices; or why there is no file."""

    data: bytes | None
    csrf: str
    problem: str | None = None
    preview: bool = False
    maps: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()


@dataclass
class Result:
    report: sheet_import.Report | None = None
    problems: list[str] = field(default_factory=list)


async def receive(request: Request, max_bytes: int) -> Upload:
    """The fields of an import form, reading no more than a file of ``max_bytes`` needs."""
    too_large = f"the file is larger than {_size(max_bytes)}, the most one import takes here"
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return Upload(None, "", "send the file from the import form (multipart/form-data)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + FORM_SLACK:
        return Upload(None, "", too_large)
    parser = MultiPartParser(
        request.headers,
        _at_most(request, max_bytes + FORM_SLACK),
        max_files=1,
        max_fields=MAX_FIELDS,
        max_part_size=max_bytes + 1,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        return Upload(None, "", too_large)
    except MultiPartException as exc:
        return Upload(None, "", f"the upload could not be read: {exc.message}")
    try:
        csrf = form.get("csrf")
        csrf = csrf if isinstance(csrf, str) else ""
        texts = {
            name: tuple(v for v in form.getlist(name) if isinstance(v, str) and v.strip())
            for name in ("map", "status")
        }
        preview = form.get("step") == "preview"
        file, sheet = form.get("file"), form.get("sheet")
        if isinstance(file, UploadFile) and file.filename:
            data = await file.read(max_bytes + 1)
        elif isinstance(sheet, str) and sheet:
            data = sheet.encode("utf-8")  # the file as a preview sent it back
        else:
            return Upload(None, csrf, "choose a CSV file to import")
        if len(data) > max_bytes:
            return Upload(None, csrf, too_large)
        return Upload(data, csrf, None, preview, texts["map"], texts["status"])
    finally:
        await form.close()


async def _at_most(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge()
        yield chunk


async def handle(request: Request, who: Principal, web: Web, kind: Kind[Any]) -> Response:
    """An import form's POST: a preview page, the listing with the counts after an import, or
    the import page with every problem (and nothing stored)."""
    upload = await receive(request, web.settings.max_import_bytes)
    if upload.data is None:  # refused before anything is read or changed
        problem = upload.problem or "nothing was uploaded"
        return await run_in_threadpool(
            _page, request, who, web, kind, upload, Result(None, [problem])
        )
    # the token comes in the upload, which only ``receive`` may parse (it bounds the size):
    # not a form field the form helper (hub.web.actions) could check before the route runs
    check_csrf(request, upload.csrf, who)
    data = upload.data
    result = await offload.run(lambda: _run(web, who, kind, data, upload))
    report = result.report
    if report is not None and report.stored:
        counts = {k: len(getattr(report, k)) for k in ("added", "changed", "unchanged")}
        return RedirectResponse(f"/{kind.what}?{urlencode(counts)}", status_code=303)
    return await run_in_threadpool(_page, request, who, web, kind, upload, result)


def done_message(request: Request) -> str | None:
    """'3 added, 1 changed, 56 unchanged' after a redirect from an import, else None."""
    params = request.query_params
    counts = [params.get(k, "") for k in ("added", "changed", "unchanged")]
    if not all(c.isdigit() for c in counts):
        return None
    return f"Imported: {counts[0]} added, {counts[1]} changed, {counts[2]} unchanged."


def _run(web: Web, who: Principal, kind: Kind[Any], data: bytes, upload: Upload) -> Result:
    log.info("importing %s: %d bytes%s", kind.what, len(data), " (preview)" * upload.preview)
    try:
        report = sheet_import.run(
            web.store,
            kind,
            data,
            web.clock(),
            who.actor,
            overrides=parse_overrides(upload.maps),
            statuses=parse_overrides(upload.statuses),
            max_rows=web.settings.max_import_rows,
            dry_run=upload.preview,
        )
    except CsvImportError as exc:
        return Result(None, _listed([str(e) for e in exc.errors]))
    except StoreError as exc:  # the database busy or away: nothing went in
        log.warning("import of %s failed: %s", kind.what, exc)
        return Result(None, [f"nothing was imported ({exc}); try again in a moment"])
    log.info(
        "%s %s: %s", "previewed" if upload.preview else "imported", kind.what, report.summary()
    )
    return Result(report, _listed([str(e) for e in report.refused]))


def _page(
    request: Request, who: Principal, web: Web, kind: Kind[Any], upload: Upload, result: Result
) -> Response:
    report = result.report
    failed = bool(result.problems) and not upload.preview
    targets = [*kind.columns, IGNORE]
    if kind.own_fields:
        targets.append(CUSTOM)
    return web.page(
        request,
        "import.html",
        who,
        status_code=400 if failed or (result.problems and report is None) else 200,
        kind=kind.what,
        report=report,
        problems=result.problems,
        preview=upload.preview,
        # sent back only once read whole as UTF-8, so an import of it is the file's own text
        sheet=(upload.data or b"").decode("utf-8") if report is not None else "",
        targets=targets,
        custom=CUSTOM,
        statuses=[*STATUSES, KEEP],
        status_choices=upload.statuses,
        shown_rows=SHOWN_ROWS,
    )


def _listed(problems: list[str]) -> list[str]:
    if len(problems) <= SHOWN_PROBLEMS:
        return problems
    more = len(problems) - SHOWN_PROBLEMS
    return [*problems[:SHOWN_PROBLEMS], f"… and {more:,} more problems like these"]


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"
