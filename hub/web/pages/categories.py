"""Categories and who may borrow them: each category's loan period and training, and the access
groups (courses, departments) a manager restricts it to.

Managers limited to some cages may read the list but not change it: a category's rules reach
every cage's items and kiosks.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.web import scope
from hub.web.actions import ManagerForm, act
from hub.web.context import Web, take_flash, web_of
from hub.web.security import Manager, Principal

router = APIRouter()
Text = Annotated[str, Form(max_length=2000)]


def _page(
    request: Request,
    who: Principal,
    web: Web,
    error: str | None = None,
    typed: tuple[str, str] | None = None,
) -> Response:
    return web.page(
        request,
        "categories.html",
        who,
        status_code=400 if error else 200,
        categories=web.store.category_rules(),
        can_edit=who.cages is None,
        error=error,
        done=take_flash(request),
        typed=typed,
    )


@router.get("/categories")
def categories(request: Request, who: Manager, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, who, web)


@router.post("/categories/groups")
def set_groups(
    request: Request,
    who: ManagerForm,
    web: Annotated[Web, Depends(web_of)],
    category: Text = "",
    groups: Text = "",
) -> Response:
    """Restrict a category to the groups typed (separated by ";"); none opens it again."""

    def work() -> str:
        kept = web.store.set_category_groups(category, groups.split(";"), web.clock(), who.actor)
        said = f"only for {', '.join(kept)}" if kept else "open to everyone"
        return f"{category.strip()} is {said}."

    def refused(exc: Exception) -> Response:
        return _page(request, who, web, f"{category[:64]} not changed: {exc}.", (category, groups))

    return scope.for_every_cage(who, "change categories") or act(
        request, work, then="/categories", refused=refused, refusals=(ValueError,)
    )
