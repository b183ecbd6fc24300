"""The maintenance queue: open tickets from kiosks, schedules and managers; closing them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.errors import NotFound
from hub.web import scope
from hub.web.actions import ManagerForm, act, shown_on
from hub.web.context import Format, Web, csv_response, take_flash, web_of
from hub.web.paging import RowId
from hub.web.security import Viewer

router = APIRouter()


@router.get("/maintenance")
def maintenance(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    format: Format = "html",
) -> Response:
    if format == "csv":
        rows = scope.of_assets(web, who, web.store.tickets(open_only=False), lambda t: t.asset)
        return csv_response(
            "maintenance",
            [
                "id",
                "asset",
                "asset_name",
                "opened_at",
                "kind",
                "person",
                "detail",
                "closed_at",
                "outcome",
                "cost",
                "note",
            ],
            (
                [
                    t.id,
                    t.asset,
                    t.asset_name,
                    t.opened_at,
                    t.kind,
                    t.person,
                    t.detail,
                    t.closed_at,
                    t.outcome,
                    t.cost,
                    t.note,
                ]
                for t in rows
            ),
        )
    every = scope.of_assets(web, who, web.store.tickets(open_only=False), lambda t: t.asset)
    closed = [t for t in every if t.closed_at is not None][:50]
    waiting = [t for t in every if t.closed_at is None]
    return web.page(
        request,
        "maintenance.html",
        who,
        open=waiting,
        closed=closed,
        names=web.store.person_names(t.person for t in waiting if t.person),
        costs=web.store.maintenance_cost(),
        error=take_flash(request),
    )


@router.post("/maintenance/{ticket_id}/close")
def ticket_close(
    request: Request,
    ticket_id: RowId,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    outcome: Annotated[str, Form(pattern="^(repaired|no_fault|retired)$")],
    cost: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    def work() -> None:
        if not scope.ticket_visible(web, who, ticket_id):
            raise NotFound(f"no ticket {ticket_id}")
        try:
            amount = Decimal(cost.replace(",", "")) if cost.strip() else None
        except InvalidOperation:
            raise ValueError("Cost: a number such as 35.50") from None
        web.store.close_ticket(ticket_id, outcome, web.clock(), who.actor, amount, note or None)

    return act(
        request,
        work,
        then="/maintenance",
        missing="ticket",
        refused=shown_on(request, "/maintenance"),
    )
