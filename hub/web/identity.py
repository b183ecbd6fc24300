"""Sign-in through the institution's accounts: the OpenID Connect routes, and the directory
(LDAP) check the login form falls back to.

The sign-in under way (state, nonce, PKCE verifier) lives in a cookie signed with the hub's
secret and good for ten minutes, scoped to /login/oidc: there is no session before sign-in, and
a return whose state does not match the cookie of the browser that started it is refused, so a
sign-in cannot be planted in someone else's browser.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from hub.identity.admission import Admitted, Refused, admit
from hub.identity.directory import Directory, DirectoryUnavailable
from hub.identity.oidc import OidcClient, Pending, SignInFailed
from hub.identity.settings import IdentitySection
from hub.store import Store
from hub.web import sessions
from hub.web.auth import Role
from hub.web.context import Web, web_of

router = APIRouter()
log = logging.getLogger(__name__)
PENDING_COOKIE = "cagekeeper_oidc"
PENDING_PATH = "/login/oidc"
PENDING_SECONDS = 600
CALLBACK = "/login/oidc/callback"


@dataclass(frozen=True)
class Providers:
    oidc: OidcClient | None = None
    directory: Directory | None = None


def providers_from(section: IdentitySection | None) -> Providers:
    """The configured providers, their secrets read now (ConfigError if one is missing)."""
    if section is None:
        return Providers()
    oidc = OidcClient(section.oidc, section.oidc.client_secret()) if section.oidc else None
    ldap = section.ldap
    return Providers(oidc, Directory(ldap, ldap.bind_password()) if ldap else None)


def providers_of(request: Request) -> Providers:
    found: Providers = getattr(request.app.state, "identity", None) or Providers()
    return found


def oidc_name(request: Request) -> str | None:
    """The provider the login page offers a button for, if any."""
    oidc = providers_of(request).oidc
    return oidc.label if oidc else None


@router.get(PENDING_PATH, include_in_schema=False)
async def oidc_start(request: Request) -> Response:
    web, oidc = web_of(request), _oidc(request)
    try:
        url, pending = await oidc.start(_redirect_uri(request, web, oidc))
    except SignInFailed as failed:
        return _refused(request, web, str(failed), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        _signer(web).dumps(pending.as_dict()),
        max_age=PENDING_SECONDS,
        path=PENDING_PATH,
        httponly=True,
        samesite="lax",  # sent on the provider's redirect back, a top-level navigation
        secure=_secure(request, web),
    )
    return response


@router.get(CALLBACK, include_in_schema=False)
async def oidc_callback(request: Request) -> Response:
    web, oidc = web_of(request), _oidc(request)
    try:
        pending = _pending(request, web)
        account = await oidc.finish(pending, request.query_params)
        admitted = await run_in_threadpool(
            admit, web.store, account, oidc.section.mapping, web.clock()
        )
    except SignInFailed as failed:
        return _refused(request, web, str(failed), 400)
    except Refused as refusal:
        return _refused(request, web, str(refusal), 403)
    return await run_in_threadpool(_signed_in, request, web.store, admitted, web.clock())


@dataclass(frozen=True)
class Elsewhere:
    """What the directory said of a login the local accounts refused."""

    admitted: Admitted | None = None
    known: bool = False  # the name is the directory's: failures count against it
    refusal: str | None = None  # said instead of "wrong username or password"
    status: int = 401


def directory_sign_in(request: Request, username: str, password: str) -> Elsewhere | None:
    """Check a login with the directory and admit its account (None: no directory here)."""
    directory = providers_of(request).directory
    if directory is None:
        return None
    web = web_of(request)
    try:
        checked = directory.check(username, password)
    except DirectoryUnavailable as exc:
        log.warning("directory sign-in: %s", exc)
        return Elsewhere(
            refusal=f"The {directory.label} could not be asked to check your password. "
            "Try again in a few minutes.",
            status=503,
        )
    if checked.account is None:
        return Elsewhere(known=checked.known)
    try:
        admitted = admit(web.store, checked.account, directory.section.mapping, web.clock())
    except Refused as refusal:
        return Elsewhere(known=True, refusal=str(refusal), status=403)
    return Elsewhere(admitted=admitted, known=True)


def _oidc(request: Request) -> OidcClient:
    oidc = providers_of(request).oidc
    if oidc is None:  # the routes are mounted only with a provider configured
        raise HTTPException(404)
    return oidc


def _signer(web: Web) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web.settings.secret_key, salt="cagekeeper.oidc-pending")


def _secure(request: Request, web: Web) -> bool:
    secure = web.settings.secure_cookies
    return secure if secure is not None else request.url.scheme == "https"


def _redirect_uri(request: Request, web: Web, oidc: OidcClient) -> str:
    if oidc.section.redirect_url:
        return oidc.section.redirect_url
    base = web.settings.url_base or str(request.base_url)
    return base.rstrip("/") + CALLBACK


def _pending(request: Request, web: Web) -> Pending:
    raw = request.cookies.get(PENDING_COOKIE)
    if not raw:
        raise SignInFailed(
            "This browser has no sign-in under way: it took longer than ten minutes, was "
            "started in another browser, or cookies are blocked. Start again."
        )
    try:
        return Pending.from_dict(_signer(web).loads(raw, max_age=PENDING_SECONDS))
    except BadSignature:  # altered, or expired
        raise SignInFailed("This sign-in expired or was altered. Start again.") from None


def _signed_in(request: Request, store: Store, admitted: Admitted, now: datetime) -> Response:
    sessions.begin(request, store, admitted.username, now)
    if sessions.current(request) is None:  # disabled between the check and now
        return _refused(request, web_of(request), "Your account here is disabled.", 403)
    response = RedirectResponse("/me" if admitted.role == Role.BORROWER else "/", status_code=303)
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response


def _refused(request: Request, web: Web, message: str, status: int) -> Response:
    response = web.templates.TemplateResponse(
        request,
        "sign_in_refused.html",
        {
            "site": web.settings.site_name,
            "csrf": "",
            "message": message,
            "oidc": oidc_name(request),
        },
        status_code=status,
    )
    response.delete_cookie(PENDING_COOKIE, path=PENDING_PATH)
    return response
