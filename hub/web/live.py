"""The live feed (``/api/v1/feed``): custody events as they are committed and alerts as the
sweeper raises them, as server-sent events for the dashboard's live pages and integrations."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from hub.store.alerting import AlertRow
from hub.store.views import FeedEntry
from hub.web import badge_uids, scope
from hub.web.context import Web, feed_position, web_of
from hub.web.refusals import refusal_text
from hub.web.security import LoginRequired, Principal, Viewer, principal

router = APIRouter()  # included by hub.web.api, whose tags and responses it gets
FEED_POLL = 1.0  # seconds between looks at the ledger for a live feed
FEED_KEEPALIVE = 15.0
FEED_LOOKBACK = timedelta(seconds=10)  # how far a feed looks back for late commits
FEED_RECHECK = 15.0  # seconds between checks that the listener may still listen


@router.get(
    "/feed",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "An endless stream of server-sent events.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def feed(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    last_event_id: Annotated[str | None, Header()] = None,
    start: Annotated[str | None, Query(alias="since", max_length=40)] = None,
    seen: Annotated[str, Query(max_length=4000)] = "",
) -> StreamingResponse:
    """Server-sent events: each custody event as it is committed (``event: custody``) and
    each alert the sweeper raises from now on (``event: alert``).

    Event ids are arrival times. A page passes where its own list ends (``since``, and the ids
    already shown from that instant in ``seen``); a reconnecting browser sends Last-Event-ID.
    Events carry their own ``id`` in the data too, so a page drops any it already shows.
    """
    given, sent = _feed_start(last_event_id or start, seen)
    if given is None:
        since, sent = await run_in_threadpool(feed_position, web)
    else:
        since = given
    opened = web.clock()  # alerts from here on; those already raised are on the page
    already = await run_in_threadpool(web.store.alerts_since, opened - FEED_LOOKBACK, 1000)

    async def events() -> AsyncIterator[str]:
        custody = _Window(since, sent)
        raised = _Window(opened, {a.id for a in already})
        quiet = checked = 0.0
        yield "retry: 3000\n\n"
        while not await request.is_disconnected():
            rows = await run_in_threadpool(web.store.feed, custody.start, 500)
            entries = custody.fresh(rows, lambda e: (e.id, e.at))
            for entry in await run_in_threadpool(scope.of_feed, web, who, entries):
                data = json.dumps(_entry(web, entry, who))
                yield f"id: {entry.at.isoformat()}\nevent: custody\ndata: {data}\n\n"
            found = await run_in_threadpool(web.store.alerts_since, raised.start, 500)
            alerts = raised.fresh(found, lambda a: (a.id, a.raised_at))
            for alert in alerts:
                yield f"event: alert\ndata: {json.dumps(_alert(web, alert))}\n\n"
            quiet = 0.0 if entries or alerts else quiet + FEED_POLL
            if quiet >= FEED_KEEPALIVE:
                quiet = 0.0
                yield ": keep-alive\n\n"
            checked += FEED_POLL
            if checked >= FEED_RECHECK:  # a revoked token or a removed user stops listening
                checked = 0.0
                try:
                    await run_in_threadpool(principal, request)
                except LoginRequired:
                    return
            await asyncio.sleep(FEED_POLL)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


T = TypeVar("T")


class _Window:
    """What one live feed has sent. Arrival stamps are taken before the commit, so a row can
    appear stamped a little earlier than one already sent: each read looks back a few seconds
    and skips what went out already."""

    def __init__(self, cursor: datetime, sent: set[str]) -> None:
        self.cursor = cursor
        self.sent = dict.fromkeys(sent, cursor)

    @property
    def start(self) -> datetime:
        return self.cursor - FEED_LOOKBACK

    def fresh(self, rows: list[T], key: Callable[[T], tuple[str, datetime]]) -> list[T]:
        out = []
        for row in rows:
            ident, at = key(row)
            if ident in self.sent:
                continue
            self.sent[ident] = at
            self.cursor = max(self.cursor, at)
            out.append(row)
        horizon = self.start
        self.sent = {i: at for i, at in self.sent.items() if at >= horizon}
        return out


def _feed_start(since: str | None, seen: str) -> tuple[datetime | None, set[str]]:
    if not since:
        return None, set()
    try:
        at = datetime.fromisoformat(since)
    except ValueError:
        return None, set()
    if at.tzinfo is None:
        return None, set()
    return at, {i for i in seen.split(",") if i}


def _alert(web: Web, a: AlertRow) -> dict[str, Any]:
    return {
        "id": a.id,
        "kind": a.kind,
        "at_local": web.local(a.raised_at),
        "asset": a.asset,
        "person": a.person,
        "person_name": a.person_name,
        "text": a.text,
    }


def _entry(web: Web, e: FeedEntry, who: Principal) -> dict[str, Any]:
    """A feed entry as the live page shows it; a badge UID in a kiosk's free text masked for
    viewers."""
    if e.detail:
        e = replace(e, detail=badge_uids.text_for(who, e.detail))
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "at_local": web.local(e.at),
        "type": e.type,
        "kiosk": e.kiosk,
        "kiosk_name": e.kiosk_name,
        "asset": e.asset,
        "asset_name": e.asset_name,
        "person": e.person,
        "person_name": e.person_name,
        "detail": e.detail,
        "reason": e.reason,
        "refusal": refusal_text(e.reason, e.detail) if e.type == "denied" else None,
    }
