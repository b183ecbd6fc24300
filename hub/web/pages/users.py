"""Dashboard users for admins: add one, change a role or cages, disable, reset a password.

The same store and rules as the ``user`` CLI commands: disabling a user or setting their
password ends every session they have; a role or cage change applies at their next request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from hub.errors import AlreadyExists, NotFound
from hub.web.auth import MIN_PASSWORD, Role, change_password, create_user
from hub.web.context import Web, flash, take_flash, web_of
from hub.web.security import Admin, Principal, check_csrf

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


@router.post("/users")
async def add_user(request: Request, who: Admin, web: Annotated[Web, Depends(web_of)]) -> Response:
    """A new user with a first password (to hand over; they change it on their account page)
    and, for a manager or viewer, the cages they are limited to."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")), who)
    username = str(form.get("username", ""))[:200].strip()
    role = str(form.get("role", ""))[:20]
    password = str(form.get("password", ""))[:2000]
    cages = [str(c)[:200] for c in form.getlist("cages")]
    typed = {"username": username, "role": role, "cages": cages}
    now = web.clock()
    try:
        if role == Role.ADMIN.value and cages:
            raise ValueError("cages: an admin sees every cage; leave them unticked")
        create_user(web.store, username, password, role, now, by=who.actor, cages=cages)
    except (ValueError, NotFound) as exc:
        return _page(request, who, web, f"Not added: {exc}.", typed)
    except AlreadyExists:
        return _page(request, who, web, f"Not added: there is a user {username} already.", typed)
    flash(request, f"User {username} ({role}) added.")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/access")
async def set_access(
    request: Request, username: str, who: Admin, web: Annotated[Web, Depends(web_of)]
) -> Response:
    """A user's role and cages."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")), who)
    role = str(form.get("role", ""))[:20]
    cages = [str(c)[:200] for c in form.getlist("cages")]
    if role not in {r.value for r in Role}:
        roles = ", ".join(r.value for r in Role)
        return _page(request, who, web, f"{username}: role must be one of {roles}.")
    if username == who.username and role != Role.ADMIN.value:
        return _page(
            request, who, web, "You cannot take the admin role from yourself; ask another admin."
        )
    if role in (Role.ADMIN.value, Role.BORROWER.value) and cages:
        return _page(request, who, web, f"{username}: a {role} has no cages; untick them.")
    now = web.clock()
    try:
        web.store.set_user_role(username, role, now, who.actor)
        web.store.set_user_cages(username, cages, now, who.actor)
    except (NotFound, ValueError) as exc:
        return _page(request, who, web, f"{exc}.".capitalize())
    flash(request, f"{username}: {role}, {', '.join(sorted(cages)) or 'every cage'}.")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/disable")
def disable(
    request: Request,
    username: str,
    who: Admin,
    web: Annotated[Web, Depends(web_of)],
    disabled: Annotated[bool, Form()] = True,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Disable a user (every session of theirs ends at once) or enable them again."""
    check_csrf(request, csrf, who)
    if username == who.username and disabled:
        return _page(request, who, web, "You cannot disable yourself; ask another admin.")
    try:
        ended = web.store.set_user_disabled(username, disabled, web.clock(), who.actor)
    except NotFound:
        return Response("no such user", status_code=404)
    if disabled:
        flash(request, f"{username} disabled; {ended} session{'s' if ended != 1 else ''} ended.")
    else:
        flash(request, f"{username} enabled.")
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{username}/password")
def reset_password(
    request: Request,
    username: str,
    who: Admin,
    web: Annotated[Web, Depends(web_of)],
    password: Secret = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Set a user's password (a forgotten one); every session they have ends."""
    check_csrf(request, csrf, who)
    if username == who.username:
        return _page(request, who, web, "Change your own password on your account page.")
    try:
        change_password(web.store, username, password, web.clock(), who.actor)
    except NotFound:
        return Response("no such user", status_code=404)
    except ValueError as exc:
        return _page(request, who, web, f"{username}: not changed: {exc}.")
    flash(request, f"Password of {username} reset; their sessions are signed out.")
    return RedirectResponse("/users", status_code=303)
