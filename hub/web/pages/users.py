"""Dashboard users for admins: add one, change a role or cages, disable, reset a password.

The same store and rules as the ``user`` CLI commands: disabling a user or setting their
password ends every session they have; a role or cage change applies at their next request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.datastructures import FormData

from hub.errors import AlreadyExists, NotFound
from hub.web.actions import AdminForm, act
from hub.web.auth import MIN_PASSWORD, Role, change_password, create_user
from hub.web.context import Web, take_flash, web_of
from hub.web.security import Admin, Principal

router = APIRouter()
Name = Annotated[str, Form(max_length=200)]
Secret = Annotated[str, Form(max_length=2000)]


def _page(
    request: Request,
    who: Principal,
    web: Web,
    error: str | None = None,
    typed: dict[str, Any] | None = None,
) -> Response:
    rows = [(u, sorted(web.store.user_cages(u.username))) for u in web.store.user_list()]
    return web.page(
        request,
        "users.html",
        who,
        status_code=400 if error else 200,
        rows=rows,
        roles=[r.value for r in Role],
        places=web.store.location_names(),
        error=error,
        done=take_flash(request),
        typed=typed or {"username": "", "role": Role.MANAGER.value, "cages": []},
        min_password=MIN_PASSWORD,
    )


@router.get("/users")
def users(request: Request, who: Admin, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, who, web)


def _form(form: FormData) -> tuple[str, list[str]]:
    """The role and the cages ticked, cut to their bounds."""
    return str(form.get("role", ""))[:20], [str(c)[:200] for c in form.getlist("cages")]


@router.post("/users")
async def add_user(
    request: Request, who: AdminForm, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """A new user with a first password (to hand over; they change it on their account page)
    and, for a manager or viewer, the cages they are limited to."""
    form = await request.form()
    username = str(form.get("username", ""))[:200].strip()
    role, cages = _form(form)
    password = str(form.get("password", ""))[:2000]
    typed = {"username": username, "role": role, "cages": cages}

    def work() -> str:
        if role == Role.ADMIN.value and cages:
            raise ValueError("cages: an admin sees every cage; leave them unticked")
        create_user(web.store, username, password, role, web.clock(), by=who.actor, cages=cages)
        return f"User {username} ({role}) added."

    def refused(exc: Exception) -> Response:
        if isinstance(exc, AlreadyExists):
            exc = ValueError(f"there is a user {username} already")
        return _page(request, who, web, f"Not added: {exc}.", typed)

    return act(
        request,
        work,
        then="/users",
        refused=refused,
        refusals=(ValueError, NotFound, AlreadyExists),
    )


@router.post("/users/{username}/access")
async def set_access(
    request: Request, username: str, who: AdminForm, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """A user's role and cages."""
    role, cages = _form(await request.form())
    if role not in {r.value for r in Role}:
        roles = ", ".join(r.value for r in Role)
        return _page(request, who, web, f"{username}: role must be one of {roles}.")
    if username == who.username and role != Role.ADMIN.value:
        return _page(
            request, who, web, "You cannot take the admin role from yourself; ask another admin."
        )
    if role in (Role.ADMIN.value, Role.BORROWER.value) and cages:
        return _page(request, who, web, f"{username}: a {role} has no cages; untick them.")

    def work() -> str:
        now = web.clock()
        web.store.set_user_role(username, role, now, who.actor)
        web.store.set_user_cages(username, cages, now, who.actor)
        return f"{username}: {role}, {', '.join(sorted(cages)) or 'every cage'}."

    return act(
        request,
        work,
        then="/users",
        refused=lambda exc: _page(request, who, web, f"{exc}.".capitalize()),
        refusals=(NotFound, ValueError),
    )


@router.post("/users/{username}/disable")
def disable(
    request: Request,
    username: str,
    who: AdminForm,
    web: Annotated[Web, Depends(web_of)],
    disabled: Annotated[bool, Form()] = True,
) -> Response:
    """Disable a user (every session of theirs ends at once) or enable them again."""
    if username == who.username and disabled:
        return _page(request, who, web, "You cannot disable yourself; ask another admin.")

    def work() -> str:
        ended = web.store.set_user_disabled(username, disabled, web.clock(), who.actor)
        if disabled:
            return f"{username} disabled; {ended} session{'s' if ended != 1 else ''} ended."
        return f"{username} enabled."

    return act(request, work, then="/users", missing="user")


@router.post("/users/{username}/password")
def reset_password(
    request: Request,
    username: str,
    who: AdminForm,
    web: Annotated[Web, Depends(web_of)],
    password: Secret = "",
) -> Response:
    """Set a user's password (a forgotten one); every session they have ends."""
    if username == who.username:
        return _page(request, who, web, "Change your own password on your account page.")

    def work() -> str:
        change_password(web.store, username, password, web.clock(), who.actor)
        return f"Password of {username} reset; their sessions are signed out."

    return act(
        request,
        work,
        then="/users",
        missing="user",
        refused=lambda exc: _page(request, who, web, f"{username}: not changed: {exc}."),
        refusals=(ValueError,),
    )
