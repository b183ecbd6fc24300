"""Keyset paging of the list of what is out: cursors a client passes back, and the links to
the next and previous pages. A cursor names the (due time, asset) a page ends at, so paging
deep into the list costs what the first page does, and a loan returned meanwhile shifts no
other row to another page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Path, Query
from starlette.datastructures import URL

from hub.store.views import OutKey, OutPage
from hub.web.errors import invalid

MAX_PAGE = 500  # loans per page at most
DEFAULT_PAGE = 100
# Every integer a client sends is bounded, so none reaches the database or a date as a number
# it cannot hold (a 500 before): ids fit PostgreSQL's INTEGER, pages and offsets stay far
# inside SQLite's and PostgreSQL's 64-bit LIMIT/OFFSET even when multiplied by a page size.
MAX_ID = 2**31 - 1
MAX_PAGE_NUMBER = 100_000
MAX_OFFSET = 100_000_000

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a record's number")]
PageNumber = Annotated[
    int, Query(ge=0, le=MAX_PAGE_NUMBER, description="which page, counting from 0")
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="skip this many rows")]
# A cursor's due time in microseconds from 1970: up to 17 digits after it (year 5138), 16
# before (year 1653), so every cursor the pattern admits names a date Python can hold.
CURSOR_PATTERN = r"^([0-9]{1,17}|-[0-9]{1,16})~[^~]{1,64}$"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STEP = timedelta(microseconds=1)
CURSOR_HELP = "a cursor from a previous page's link (due time in microseconds~asset code)"


def _cursor(side: str) -> Any:
    return Query(pattern=CURSOR_PATTERN, description=f"the page {side} {CURSOR_HELP}")


After = Annotated[str | None, _cursor("after")]
Before = Annotated[str | None, _cursor("before")]


def cursor(key: OutKey) -> str:
    due, asset = key
    return f"{(due - _EPOCH) // _STEP}~{asset}"


def parse(text: str | None) -> OutKey | None:
    """The key a cursor names; a malformed one is the client's error (422)."""
    if not text:
        return None
    micros, sep, asset = text.partition("~")
    try:
        if not sep or not asset:
            raise ValueError
        return _EPOCH + int(micros) * _STEP, asset
    except (ValueError, OverflowError):
        invalid(("query", "cursor"), f"not a page cursor (want {CURSOR_HELP})", text[:40])


def links(url: URL, page: OutPage) -> dict[str, str]:
    """The URLs of the pages before and after this one (only those that exist), keeping the
    request's other parameters."""
    base = url.remove_query_params(["after", "before", "offset"])
    found: dict[str, str] = {}
    if page.rows and page.earlier:
        first = page.rows[0]
        found["prev"] = str(base.include_query_params(before=cursor((first.due, first.asset))))
    if page.rows and page.later:
        last = page.rows[-1]
        found["next"] = str(base.include_query_params(after=cursor((last.due, last.asset))))
    return found


def link_header(found: dict[str, str]) -> str:
    """An RFC 8288 Link header value."""
    return ", ".join(f'<{href}>; rel="{rel}"' for rel, href in found.items())
