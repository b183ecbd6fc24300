"""Kiosk health, the audit log of managers' actions, and API tokens."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response

from hub.store.audit import AuditFilter
from hub.web import scope
from hub.web.actions import AdminForm, act
from hub.web.auth import Role
from hub.web.context import Format, Web, clock_notes, csv_response, web_of
from hub.web.paging import PageNumber, RowId
from hub.web.security import Admin, Manager, Viewer

router = APIRouter()
TOKEN_ROLES = (Role.VIEWER, Role.MANAGER)


@router.get("/kiosks")
def kiosks(
    request: Request, who: Viewer, web: Annotated[Web, Depends(web_of)], format: Format = "html"
) -> Response:
    rows = scope.kept(who, web.store.kiosk_views(), lambda k: k.location)
    clocks = clock_notes(rows, web.store.kiosk_clocks())
    if format == "csv":
        return csv_response(
            "kiosks",
            [
                "id",
                "name",
                "location",
                "state",
                "last_seen",
                "version",
                "outbox",
                "profile",
                "faults",
                "clock",
            ],
            (
                [
                    k.id,
                    k.name,
                    k.location,
                    k.state,
                    k.last_seen,
                    k.version,
                    k.outbox,
                    k.profile,
                    "; ".join(k.faults),
                    "; ".join(clocks.get(k.id, ())),
                ]
                for k in rows
            ),
        )
    return web.page(request, "kiosks.html", who, kiosks=rows, clocks=clocks)


AUDIT_PAGE = 100
Day = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]


@router.get("/audit")
def audit(
    request: Request,
    who: Manager,
    web: Annotated[Web, Depends(web_of)],
    format: Format = "html",
    page: PageNumber = 0,
    actor: Annotated[str, Query(max_length=80)] = "",
    action: Annotated[str, Query(max_length=40)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    since: Day = "",
    until: Day = "",
) -> Response:
    """The log newest first, filtered by who, what (an action or its family), a word in the
    target or detail, and days in the cage's time zone (``until`` included); the CSV holds
    every entry the filter keeps."""
    try:
        first = _day_start(web, since)
        last = _day_start(web, until)
    except ValueError as exc:
        return Response(f"Not a date: {exc}", status_code=400)
    keep = AuditFilter(actor, action, q.strip(), first, last + timedelta(days=1) if last else None)
    if format == "csv":
        return csv_response(
            "audit-log", ["at", "actor", "action", "target", "detail"], web.store.audit_rows(keep)
        )
    actors, actions = web.store.audit_choices()
    query = {"actor": actor, "action": action, "q": q, "since": since, "until": until}
    shown = {k: v for k, v in query.items() if v}
    return web.page(
        request,
        "audit.html",
        who,
        entries=web.store.audit_page(keep, limit=AUDIT_PAGE, offset=page * AUDIT_PAGE),
        page=page,
        more_after=AUDIT_PAGE,
        actors=actors,
        actions=actions,
        f=query,
        filtered=bool(shown),
        query=urlencode(shown),
    )


def _day_start(web: Web, day: str) -> datetime | None:
    """Midnight starting ``day`` (YYYY-MM-DD) in the cage's time zone."""
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=web.tz)


@router.get("/tokens")
def tokens(request: Request, who: Admin, web: Annotated[Web, Depends(web_of)]) -> Response:
    return web.page(request, "tokens.html", who, tokens=web.store.tokens(), new=None)


@router.post("/tokens")
def token_create(
    request: Request,
    who: AdminForm,
    web: Annotated[Web, Depends(web_of)],
    name: Annotated[str, Form(min_length=1, max_length=80)],
    role: Annotated[Role, Form()],
) -> Response:
    if role not in TOKEN_ROLES:  # an integration never administers the dashboard
        return Response("tokens are for the viewer or manager role", status_code=400)
    secret = web.store.add_token(name, role.value, who.actor, web.clock())
    return web.page(request, "tokens.html", who, tokens=web.store.tokens(), new=secret)


@router.post("/tokens/{token_id}/revoke")
def token_revoke(
    request: Request,
    token_id: RowId,
    who: AdminForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    def work() -> None:
        web.store.revoke_token(token_id, web.clock(), who.actor)

    return act(request, work, then="/tokens", missing="token")
