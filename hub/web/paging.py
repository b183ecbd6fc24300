"""Keyset paging of the list of what is out: cursors a client passes back, and the links to
the next and previous pages. A cursor names the (due time, asset) a page ends at, so paging
deep into the list costs what the first page does, and a loan returned meanwhile shifts no
other row to another page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import HTTPException
from starlette.datastructures import URL

from hub.store.views import OutKey, OutPage

MAX_PAGE = 500  # loans per page at most
DEFAULT_PAGE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_STEP = timedelta(microseconds=1)
CURSOR_HELP = "a cursor from a previous page's link (due time in microseconds~asset code)"


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
        raise HTTPException(422, f"not a page cursor: {text[:40]!r} (want {CURSOR_HELP})") from None


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
