"""The signed-in user's own account: change the password, sign out other sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response

from hub.web import sessions
from hub.web.actions import ViewerForm, act
from hub.web.auth import MIN_PASSWORD, change_password, verify_password
from hub.web.context import Web, take_flash, web_of
from hub.web.login import client_network
from hub.web.security import Principal, Viewer

router = APIRouter()


def _page(
    request: Request, web: Web, who: Principal, error: str | None = None, status: int = 200
) -> Response:
    if who.via_token:
        return Response("an API token has no account page", status_code=403)
    count = web.store.session_count(who.username, web.clock(), web.settings.session_limits)
    return web.page(
        request,
        "account.html",
        who,
        status_code=status,
        error=error,
        done=take_flash(request),
        sessions=count,
        min_password=MIN_PASSWORD,
    )


@router.get("/account")
def account(request: Request, who: Viewer, web: Annotated[Web, Depends(web_of)]) -> Response:
    return _page(request, web, who)


@router.post("/account/password")
def password(
    request: Request,
    who: ViewerForm,
    web: Annotated[Web, Depends(web_of)],
    current: Annotated[str, Form()] = "",
    new: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    """A new password for the signed-in user, who proves it is them with the current one
    (someone at an unlocked screen cannot take the account over). Every other session of
    theirs ends and this browser gets a new one."""
    if who.via_token:
        return Response("an API token has no password", status_code=403)
    store, now = web.store, web.clock()
    account_key = ("user", who.username)
    client_key = ("client", client_network(request.client.host if request.client else None))
    user = store.login_user(who.username)
    if user is not None and user.password_hash is None:
        return _page(request, web, who, "You sign in through your identity provider.", 400)
    locked = store.login_locks([account_key, client_key], now)
    if user is None or locked or not verify_password(user.password_hash, current):
        # guesses here count against the account like sign-in guesses
        rules = (web.settings.login_per_account, web.settings.login_per_client)
        store.login_failed([(*account_key, rules[0]), (*client_key, rules[1])], now)
        return _page(
            request,
            web,
            who,
            "The current password is wrong (or, after repeated failures, changing it pauses "
            "for a while).",
            400,
        )
    if new != again:
        return _page(request, web, who, "The two new passwords differ.", 400)
    if new == current:
        return _page(request, web, who, "The new password is the current one.", 400)

    def work() -> str:
        change_password(store, who.username, new, now, who.actor)
        sessions.begin(request, store, who.username, now)
        return "Password changed. Your other sessions are signed out."

    return act(
        request,
        work,
        then="/account",
        refused=lambda exc: _page(request, web, who, f"New {exc}.", 400),
        refusals=(ValueError,),
    )


@router.post("/account/sessions/end")
def end_others(
    request: Request,
    who: ViewerForm,
    web: Annotated[Web, Depends(web_of)],
) -> Response:
    """Sign out every other browser signed in as this user (a forgotten shared computer)."""
    if who.via_token:
        return Response("an API token has no sessions", status_code=403)

    def work() -> str:
        ended = web.store.end_sessions(who.username, keep=sessions.token_of(request))
        return f"{ended} other session{'s' if ended != 1 else ''} signed out."

    return act(request, work, then="/account")
