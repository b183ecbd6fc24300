"""Signing in and out, with failed attempts throttled per account and per client network.

Every refusal looks the same: an unknown user, a wrong password, a disabled user and a locked
account get the same message and status after the same work (a password hash is verified in
each case, against a stand-in hash when there is no user), so neither the answer nor its timing
tells which usernames exist or which accounts are locked. Only a client network that is itself
locked is answered without hashing (that tells it nothing but its own lock, and spares the CPU
under a flood). The counts live in the database, so every hub process applies the same limits.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from hub.store import Store
from hub.web import sessions
from hub.web.actions import SignedInForm
from hub.web.auth import MAX_PASSWORD, Role, dummy_hash, verify_password
from hub.web.context import Web, web_of
from hub.web.identity import directory_sign_in, oidc_name
from hub.web.security import BadCsrf

router = APIRouter()
log = logging.getLogger(__name__)
_warned: set[str] = set()

REFUSED = (
    "Wrong username or password. After repeated failures, signing in to that account or from "
    "this network pauses for a while."
)
LOGIN_COOKIE = "cagekeeper_login"  # the login form's CSRF token, before there is a session


def client_network(host: str | None) -> str:
    """The throttle's key for a client address: an IPv4 address, or the /64 network of an IPv6
    one (a single host commonly holds a whole /64)."""
    try:
        ip = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "-")[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _login_page(
    request: Request, web: Web, error: str | None, status: int, token: str | None = None
) -> Response:
    token = token or request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = web.templates.TemplateResponse(
        request,
        "login.html",
        {"site": web.settings.site_name, "csrf": token, "error": error, "oidc": oidc_name(request)},
        status_code=status,
    )
    secure = web.settings.secure_cookies
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure if secure is not None else request.url.scheme == "https",
    )
    return response


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_form(request: Request) -> Response:
    return _login_page(request, web_of(request), None, 200)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    web = web_of(request)
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not csrf or not secrets.compare_digest(expected, csrf):
        raise BadCsrf()
    store, now = web.store, web.clock()
    _warn_if_proxied(request, web)
    name = username.strip().lower()[:64]
    client = ("client", client_network(request.client.host if request.client else None))
    account = ("user", name)
    stand_in = dummy_hash()  # made before the first look-up, so its cost is in no answer
    locked = store.login_locks([client, account], now)
    if "client" in locked or len(password) > MAX_PASSWORD:
        return _login_page(request, web, REFUSED, 401)
    user = store.login_user(name)
    # an account with no password of ours signs in through its identity provider only: it
    # is checked against the stand-in, so it costs what a wrong password costs, and refused
    held = user.password_hash if user is not None else None
    matches = verify_password(held or stand_in, password) and held is not None
    if user is None or not matches or user.disabled or "user" in locked:
        # the directory (LDAP), if any, for anyone but a disabled or locked local account
        elsewhere = None
        if not (user and user.disabled) and "user" not in locked:
            elsewhere = directory_sign_in(request, name, password)
        if elsewhere is not None and elsewhere.admitted is not None:
            return _welcome(request, store, account, elsewhere.admitted.username, now)
        if elsewhere is not None and elsewhere.refusal is not None:
            return _login_page(request, web, elsewhere.refusal, elsewhere.status)
        failed = [(*client, web.settings.login_per_client)]
        if user is not None or (elsewhere and elsewhere.known):
            # unknown names get no row: nothing to protect, rows stay bounded
            failed.append((*account, web.settings.login_per_account))
        store.login_failed(failed, now)
        return _login_page(request, web, REFUSED, 401)
    return _welcome(request, store, account, user.username, now)


def _welcome(
    request: Request, store: Store, account: tuple[str, str], username: str, now: datetime
) -> Response:
    store.login_succeeded(*account)
    sessions.begin(request, store, username, now)
    found = sessions.current(request)
    response = RedirectResponse(home_of(found.role if found else ""), status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


def home_of(role: str) -> str:
    """Where a user lands after signing in: a borrower on their own page."""
    return "/me" if role == Role.BORROWER else "/"


def _warn_if_proxied(request: Request, web: Web) -> None:
    """Say once in the log when sign-ins come through a proxy the hub does not believe: every
    client behind it then counts as the proxy's address for the per-client limit."""
    peer = request.client.host if request.client else "-"
    if web.settings.trusted_proxies or "x-forwarded-for" not in request.headers:
        return
    if peer not in _warned:
        _warned.add(peer)
        log.warning(
            "sign-in with X-Forwarded-For from %s, ignored: if that is your reverse proxy, list "
            "it in [web] trusted_proxies (until then all its clients share one login limit)",
            peer,
        )


@router.post("/logout", include_in_schema=False)
def logout(request: Request, who: SignedInForm) -> Response:
    store: Store = request.app.state.store
    sessions.end(request, store)
    return RedirectResponse("/login", status_code=303)
