"""The asset registry: search, one asset's life on a page, lifecycle steps, imports, labels."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from hub.domain import lifecycle
from hub.errors import NotFound
from hub.labelsheet import STOCKS, Label, label_sheet
from hub.sheets import ASSETS, export_assets
from hub.web import imports, offload, scope
from hub.web.actions import ManagerForm, ViewerForm, act, shown_on
from hub.web.context import Format, Web, csv_stream, registry_pieces, take_flash, web_of
from hub.web.paging import PageNumber
from hub.web.security import Manager, Principal, Viewer
from wire.labels import compact_label, url_label

router = APIRouter()
PAGE = 100


@router.get("/assets")
def assets(
    request: Request,
    who: Viewer,
    web: Annotated[Web, Depends(web_of)],
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page: PageNumber = 0,
    format: Format = "html",
) -> Response:
    if format == "csv":
        own = web.store.asset_field_names()
        chunks = scope.kept_chunks(who, web.store.asset_export())
        return csv_stream("assets", registry_pieces(lambda rows: export_assets(rows, own), chunks))
    return _listing(request, who, web, q, category, status, page)


def _listing(
    request: Request,
    who: Principal,
    web: Web,
    q: str = "",
    category: str = "",
    status: str = "",
    page: int = 0,
) -> Response:
    rows, total = web.store.search_assets(
        q, category or None, status or None, limit=PAGE, offset=page * PAGE, homes=who.cages
    )
    return web.page(
        request,
        "assets.html",
        who,
        rows=rows,
        total=total,
        q=q,
        category=category,
        status=status,
        page=page,
        pages=(total + PAGE - 1) // PAGE,
        categories=web.store.category_names(),
        statuses=[s.value for s in lifecycle.Status],
        imported=imports.done_message(request),
        now=web.clock(),
    )


@router.post("/assets/import")
async def assets_import(
    request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """A spreadsheet of assets (ours, or a Snipe-IT, Cheqroom or Shelf export): previewed, or
    imported whole (all rows or none)."""
    refused = scope.for_every_cage(who, "import assets")  # a row may name any cage's asset
    return refused or await imports.handle(request, who, web, ASSETS)


def _payload(web: Web, code: str) -> str:
    base = web.settings.url_base
    return url_label(base, code) if base else compact_label(code)


@router.get("/a/{code}")
def asset_page(
    request: Request, code: str, who: Viewer, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """One asset's life; also where a label's link leads when scanned with a phone."""
    code = code.upper()
    detail = web.store.asset_detail(code) if scope.asset_visible(web, who, code) else None
    if detail is None:
        return web.page(request, "asset.html", who, status_code=404, code=code, d=None, qr=None)
    qr = segno.make(_payload(web, code), error="m").svg_data_uri(scale=4, border=4)
    return web.page(
        request,
        "asset.html",
        who,
        code=code,
        d=detail,
        qr=qr,
        now=web.clock(),
        error=take_flash(request),
    )


@router.post("/a/{code}/lifecycle")
def asset_lifecycle(
    request: Request,
    code: str,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    action: Annotated[lifecycle.Action, Form()],
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    code = code.upper()

    def work() -> None:
        if not scope.asset_visible(web, who, code):
            raise NotFound(code)
        if action is lifecycle.Action.MAINTENANCE:
            web.store.report_problem(code, reason or "sent by a manager", web.clock(), who.actor)
        else:
            web.store.move_asset(code, action, web.clock(), who.actor, reason or None)

    return act(
        request,
        work,
        then=f"/a/{code}",
        missing="asset",
        refused=shown_on(request, f"/a/{code}"),
        refusals=(lifecycle.LifecycleError,),
    )


@router.get("/labels")
def labels_form(request: Request, who: Viewer, web: Annotated[Web, Depends(web_of)]) -> Response:
    return web.page(
        request,
        "labels.html",
        who,
        stocks=STOCKS,
        categories=web.store.category_names(),
        error=None,
    )


@router.post("/labels")
async def labels_pdf(
    request: Request,
    who: ViewerForm,
    web: Annotated[Web, Depends(web_of)],
    stock: Annotated[str, Form(max_length=20)],
    codes: Annotated[str, Form(max_length=20000)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
    start_at: Annotated[int, Form(ge=0, le=200)] = 0,
) -> Response:
    """A PDF sheet of QR labels for the codes listed (or a whole category), at most
    ``max_labels`` of them, drawn on the heavy-work pool."""
    wanted = {c.strip().upper() for c in codes.replace(",", " ").split() if c.strip()}
    rows = await run_in_threadpool(web.store.asset_rows)
    labels = [
        Label(r.code, r.name)
        for r in rows
        if who.sees(r.home) and (r.code in wanted or (category and r.category == category))
    ]
    missing = wanted - {label.code for label in labels}
    most = web.settings.max_labels
    error = None
    if missing:
        error = f"No such asset: {', '.join(sorted(missing)[:50])}"
    elif not labels:
        error = "List some asset codes or choose a category."
    elif stock not in STOCKS:
        error = f"Unknown label stock {stock}"
    elif len(labels) > most:
        error = (
            f"That is {len(labels):,} labels; one PDF holds at most {most:,}. "
            "List the codes of a part of them instead."
        )
    elif start_at >= STOCKS[stock].per_sheet:
        error = f"A {stock} sheet has {STOCKS[stock].per_sheet} labels: skip fewer than that."
    if error:
        return await run_in_threadpool(_labels_refused, request, who, web, error)
    base = web.settings.url_base
    pdf = await offload.run(lambda: label_sheet(labels, stock, url_base=base, start_at=start_at))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="labels-{stock}.pdf"'},
    )


def _labels_refused(request: Request, who: Principal, web: Web, error: str) -> Response:
    return web.page(
        request,
        "labels.html",
        who,
        status_code=400,
        stocks=STOCKS,
        categories=web.store.category_names(),
        error=error,
    )
