"""The morning page: what is out, due today, late and by whom, which kiosk is down, live feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.datastructures import URL

from hub.store import ANOMALY_LABELS, Attention, ItemOut
from hub.web import badge_uids, paging, scope
from hub.web.context import Format, Web, clock_notes, csv_response, feed_position, late_text, web_of
from hub.web.security import Principal, Viewer

router = APIRouter()
SHOWN = 100


OUT_COLUMNS = (
    "asset",
    "asset_name",
    "category",
    "person",
    "person_name",
    "since",
    "due",
    "overdue",
    "kiosk",
)


def item_view(web: Web, item: ItemOut, now: datetime) -> dict[str, Any]:
    late = now - item.due
    return {
        "asset": item.asset,
        "asset_name": item.asset_name,
        "category": item.category,
        "person": item.person,
        "person_name": item.person_name,
        "kiosk": item.kiosk,
        "since": item.since.isoformat(),
        "due": item.due.isoformat(),
        "since_local": web.local(item.since),
        "due_local": web.local(item.due),
        "overdue": late.total_seconds() > 0,
        "late": late_text(late) if late.total_seconds() > 0 else "",
    }


@router.get("/")
def overview(request: Request, who: Viewer, web: Annotated[Web, Depends(web_of)]) -> Response:
    now = web.clock()
    end = web.end_of_day(now)
    store = web.store
    since, seen = feed_position(web)
    kiosks = scope.kept(who, store.kiosk_views(), lambda k: k.location)
    late = store.items_out(due_before=now, limit=SHOWN, homes=who.cages)
    due = store.items_out(due_after=now, due_before=end, limit=SHOWN, homes=who.cages)
    return web.page(
        request,
        "overview.html",
        who,
        now=web.local(now),
        counts=store.counts(now, end, homes=who.cages),
        overdue=[item_view(web, i, now) for i in late],
        today=[item_view(web, i, now) for i in due],
        kiosks=kiosks,
        clocks=clock_notes(kiosks, store.kiosk_clocks()),
        feed=[
            replace(e, detail=badge_uids.text_for(who, e.detail)) if e.detail else e
            for e in scope.of_feed(web, who, store.feed(limit=15))
        ],
        feed_since=since.isoformat(),
        feed_seen=",".join(sorted(seen)),
        alerts=store.recent_alerts(10, open_only=True, homes=who.cages, managers_only=True),
        attention=_attention_for(who, store.attention()),
        labels=ANOMALY_LABELS,
        overflow=store.quarantine_overflow(),
        shown=SHOWN,
    )


def _asset(item: ItemOut) -> str:
    return item.asset


def _attention_for(who: Principal, attention: Attention) -> Attention:
    """What needs attention, with badge UIDs in the texts masked for viewers (an enrolment
    conflict names the badge)."""
    if badge_uids.sees_uids(who):
        return attention
    return replace(
        attention,
        anomalies=[
            replace(a, detail=badge_uids.text_for(who, a.detail)) for a in attention.anomalies
        ],
        recent_quarantine=[
            (at, kiosk, badge_uids.text_for(who, error), repeats)
            for at, kiosk, error, repeats in attention.recent_quarantine
        ],
    )


@router.get("/out")
def items_out(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    format: Format = "html",
    after: paging.After = None,
    before: paging.Before = None,
    limit: Annotated[int, Query(ge=1, le=paging.MAX_PAGE)] = paging.DEFAULT_PAGE,
) -> Response:
    """Everything out now, soonest due first, a page at a time; the overview shows only the
    urgent part. The CSV holds the whole list, written as it is read."""
    now = web.clock()
    if format == "csv":
        rows = (item_view(web, i, now) for i in web.store.out_rows(homes=who.cages))
        return csv_response("items-out", OUT_COLUMNS, ([i[c] for c in OUT_COLUMNS] for i in rows))
    page = web.store.out_page(
        limit, after=paging.parse(after), before=paging.parse(before), homes=who.cages
    )
    links = paging.links(request.url, page)
    return web.page(
        request,
        "out.html",
        who,
        items=[item_view(web, i, now) for i in page.rows],
        total=web.store.counts(now, web.end_of_day(now), homes=who.cages).out,
        prev=_relative(links.get("prev")),
        next=_relative(links.get("next")),
        paged=after is not None or before is not None,
    )


def _relative(url: str | None) -> str | None:
    """A link on our own page: the path and query of ``url``."""
    if url is None:
        return None
    link = URL(url)
    return f"{link.path}?{link.query}" if link.query else link.path
