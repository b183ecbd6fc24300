"""Adding and editing one asset on the dashboard, and the pieces of a kit."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.errors import AlreadyExists, NotFound
from hub.registry_csv import AssetRow
from hub.web import scope
from hub.web.actions import ManagerForm, act
from hub.web.context import Web, web_of
from hub.web.forms import Field, as_typed, checked
from hub.web.security import Manager, Principal

router = APIRouter()
FIELDS = (
    "name",
    "category",
    "serial",
    "home",
    "value",
    "cost",
    "acquired",
    "supplier",
    "photo_url",
    "notes",
)


def _form(
    request: Request,
    who: Principal,
    web: Web,
    values: dict[str, Any],
    *,
    code: str | None,
    problems: dict[str, str] | None = None,
    pieces: str | None = None,
) -> Response:
    homes = [n for n in web.store.location_names() if who.sees(n)]
    detail = web.store.asset_detail(code) if code else None
    if pieces is None:
        pieces = " ".join(p.code for p in detail.pieces) if detail else ""
    return web.page(
        request,
        "asset_form.html",
        who,
        status_code=400 if problems else 200,
        code=code,
        v=as_typed(values, ("code", *FIELDS)),
        problems=problems or {},
        homes=homes,
        categories=web.store.category_names(),
        pieces=pieces,
        kit_of=detail.asset.kit if detail else None,
    )


def _typed(
    name: Field = "",
    category: Field = "",
    serial: Field = "",
    home: Field = "",
    value: Field = "",
    cost: Field = "",
    acquired: Field = "",
    supplier: Field = "",
    photo_url: Field = "",
    notes: Field = "",
) -> dict[str, str]:
    """The asset form's fields as typed (the code is in the address, or a field of its own)."""
    return dict(
        name=name,
        category=category,
        serial=serial,
        home=home,
        value=value,
        cost=cost,
        acquired=acquired,
        supplier=supplier,
        photo_url=photo_url,
        notes=notes,
    )


Typed = Annotated[dict[str, str], Depends(_typed)]


def _checked(
    web: Web, who: Principal, typed: dict[str, str], code: str
) -> tuple[AssetRow | None, dict[str, str]]:
    """The form as a registry row, or the problems to show next to each field."""
    row, problems = checked(AssetRow, {**typed, "code": code})
    where = _home_problem(web, who, row.home if row else (typed["home"].strip() or None))
    if where:
        problems["home"] = where
    return (None, problems) if problems else (row, problems)


def _home_problem(web: Web, who: Principal, home: str | None) -> str | None:
    if home is None:
        return None if who.cages is None else "choose one of your cages"
    if home not in web.store.location_names():
        return f"{home!r} is not on the list of locations (add it there first)"
    if not who.sees(home):
        return "you may only place assets in your own cages"
    return None


@router.get("/assets/new")
def new_asset(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _form(request, who, web, {}, code=None)


@router.post("/assets/new")
def add_asset(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    typed: Typed,
    code: Field = "",
) -> Response:
    """Register one asset; its acquisition starts its life in the ledger (audited with it)."""
    typed = {"code": code, **typed}
    row, problems = _checked(web, who, typed, code)
    if row is None:
        return _form(request, who, web, typed, code=None, problems=problems)
    details = row.model_dump(include=set(FIELDS) - {"name", "category"}, exclude_none=True)

    def work() -> None:
        web.store.add_asset(
            row.code, row.name, row.category, now=web.clock(), actor=who.actor, **details
        )

    problem = {"code": f"there is an asset {row.code} already"}
    return act(
        request,
        work,
        then=f"/a/{row.code}",
        refused=lambda _exc: _form(request, who, web, typed, code=None, problems=problem),
        refusals=(AlreadyExists,),
    )


@router.get("/a/{code}/edit")
def edit_asset(
    request: Request, code: str, who: Manager, web: Annotated[Web, Depends(web_of)]
) -> Response:
    code = code.upper()
    if not scope.asset_visible(web, who, code):
        return Response("no such asset", status_code=404)
    detail = web.store.asset_detail(code)
    assert detail is not None
    return _form(request, who, web, asdict(detail.asset), code=code)


@router.post("/a/{code}/edit")
def save_asset(
    request: Request,
    code: str,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    typed: Typed,
) -> Response:
    """Change an asset's details (not its custody or status); a blank field clears it."""
    code = code.upper()
    if not scope.asset_visible(web, who, code):
        return Response("no such asset", status_code=404)
    row, problems = _checked(web, who, typed, code)
    if row is None:
        return _form(request, who, web, typed, code=code, problems=problems)

    def work() -> None:
        before = web.store.asset_detail(code)
        if before is None:
            raise NotFound(code)
        # only what changed, so the audit log says what the edit did
        dump = row.model_dump(include=set(FIELDS))
        changed = {k: v for k, v in dump.items() if v != getattr(before.asset, k)}
        if changed:
            web.store.update_asset(code, web.clock(), who.actor, **changed)

    return act(request, work, then=f"/a/{code}", missing="asset")


@router.post("/a/{code}/pieces")
def save_pieces(
    request: Request,
    code: str,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    pieces: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """Make the listed assets the kit's pieces: they check out and come back with it."""
    code = code.upper()
    if not scope.asset_visible(web, who, code):
        return Response("no such asset", status_code=404)
    wanted = [c.strip().upper() for c in pieces.replace(",", " ").split() if c.strip()]

    def work() -> None:
        hidden = set(wanted) - scope.visible_assets(web, who, wanted)
        if hidden:
            raise NotFound(f"no asset {', '.join(sorted(hidden))}")
        web.store.set_kit_pieces(code, wanted, web.clock(), who.actor)

    def refused(exc: Exception) -> Response:
        detail = web.store.asset_detail(code)
        assert detail is not None
        problems = {"pieces": str(exc).strip("'\"")}
        return _form(
            request, who, web, asdict(detail.asset), code=code, problems=problems, pieces=pieces
        )

    return act(request, work, then=f"/a/{code}", refused=refused, refusals=(NotFound, ValueError))
