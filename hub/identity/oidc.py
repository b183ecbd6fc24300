"""OpenID Connect sign-in through Authlib: discovery from the issuer, the authorisation code
flow with PKCE (S256), and the ID token checked (signature, issuer, audience, expiry, nonce).

Authlib's Starlette client keeps its state in ``request.session``, but the dashboard has no
session before sign-in (and its sessions keep only what they own), so the state, nonce and code
verifier of a sign-in under way travel in a signed, short-lived cookie instead (hub.web.identity);
this module uses the client's own steps between them.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401 - its "always" filter must come before ours below
import httpx
from authlib.common.errors import AuthlibBaseError
from joserfc.errors import JoseError

from hub.identity.admission import Account
from hub.identity.settings import OidcSection

# Authlib asks for httpx2 and says so on every import; the hub's httpx serves it as well.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "The httpx module is deprecated")
    from authlib.integrations.starlette_client import OAuth


class SignInFailed(Exception):
    """The sign-in did not complete; the message says why to the person at the browser."""


@dataclass(frozen=True)
class Pending:
    """A sign-in under way: what the browser's return must match."""

    state: str
    nonce: str
    verifier: str
    redirect_uri: str

    def as_dict(self) -> dict[str, str]:
        return {"s": self.state, "n": self.nonce, "v": self.verifier, "r": self.redirect_uri}

    @classmethod
    def from_dict(cls, data: Any) -> Pending:
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "snvr"):
            raise SignInFailed("The sign-in could not be checked. Start again.")
        return cls(data["s"], data["n"], data["v"], data["r"])


class OidcClient:
    """One configured provider."""

    def __init__(self, section: OidcSection, client_secret: str) -> None:
        self.section = section
        self.provider = f"oidc:{section.issuer}"
        client_kwargs: dict[str, Any] = {
            "scope": " ".join(section.scopes),
            "code_challenge_method": "S256",
            "timeout": 10.0,
        }
        if section.ca_file is not None:
            client_kwargs["verify"] = str(section.ca_file)
        self._app: Any = OAuth().register(
            name="provider",
            client_id=section.client_id,
            client_secret=client_secret,
            server_metadata_url=section.discovery_url,
            client_kwargs=client_kwargs,
        )

    @property
    def label(self) -> str:
        return self.section.name

    async def start(self, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the browser, and what its return must match."""
        async with self._failures("reach"):
            await self._metadata()
            made = await self._app.create_authorization_url(redirect_uri)
        return made["url"], Pending(
            made["state"], made["nonce"], made["code_verifier"], redirect_uri
        )

    async def finish(self, pending: Pending, query: AnyMapping[str, str]) -> Account:
        """The account the provider vouches for in the browser's return (its query)."""
        if error := query.get("error"):
            said = query.get("error_description") or error
            raise SignInFailed(f"{self.label} did not sign you in: {said[:200]}")
        state, code = query.get("state", ""), query.get("code", "")
        if not state or not secrets.compare_digest(state, pending.state):
            raise SignInFailed(
                "This sign-in does not match the one this browser started (it may have been "
                "tampered with, or started in another tab). Start again."
            )
        if not code:
            raise SignInFailed(f"{self.label} sent no authorisation code. Start again.")
        async with self._failures("complete the sign-in with"):
            token = await self._app.fetch_access_token(
                code=code, code_verifier=pending.verifier, redirect_uri=pending.redirect_uri
            )
            claims = dict(await self._app.parse_id_token(token, nonce=pending.nonce))
            if (await self._metadata()).get("userinfo_endpoint"):
                info = dict(await self._app.userinfo(token=token))
                if info.get("sub") != claims.get("sub"):
                    raise SignInFailed(f"{self.label} described someone else. Start again.")
                claims = {**info, **claims}
        return self._account(claims)

    def _account(self, claims: dict[str, Any]) -> Account:
        s = self.section
        if s.person_claim == "email" and claims.get("email_verified") is False:
            # anyone may type an address into an account they make; only a checked one names
            # a person (providers that send no email_verified vouch for their addresses)
            raise SignInFailed(
                f"{self.label} has not verified the address {claims.get('email')!r}, so it "
                "cannot say who you are here. Verify it there, then sign in again."
            )
        groups = claims.get(s.groups_claim) if s.groups_claim else None
        if isinstance(groups, str):
            groups = [groups]
        subject = _text(claims.get("sub"))
        if subject is None:
            raise SignInFailed(f"{self.label} did not say who you are (no subject). Start again.")
        return Account(
            provider=self.provider,
            label=self.label,
            subject=subject,
            username=_text(claims.get(s.username_claim)),
            person_key=_text(claims.get(s.person_claim)),
            groups=tuple(str(g) for g in groups or () if str(g).strip()),
        )

    async def _metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = await self._app.load_server_metadata()
        if str(metadata.get("issuer", "")).rstrip("/") != self.section.issuer:
            self._app.server_metadata.clear()  # read again next time: it may be corrected
            raise SignInFailed(
                f"{self.label}'s discovery document names issuer {metadata.get('issuer')!r}, "
                f"not {self.section.issuer!r}: the hub's configuration must name the same."
            )
        return metadata

    def _failures(self, doing: str) -> _Failures:
        return _Failures(f"The hub could not {doing} {self.label}")


class _Failures:
    """Turns what the provider, the network or a token check raised into SignInFailed."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: object
    ) -> bool:
        if exc is None or isinstance(exc, SignInFailed):
            return False
        if isinstance(exc, AuthlibBaseError):
            said = exc.description or exc.error
        elif isinstance(exc, JoseError):
            said = f"its ID token was refused ({exc.error}: {exc.description or ''})"
        elif isinstance(exc, httpx.HTTPError):
            said = str(exc) or type(exc).__name__
        elif isinstance(exc, (ValueError, KeyError, TypeError, RuntimeError)):
            said = f"its answer was not understood ({exc})"
        else:
            return False
        raise SignInFailed(f"{self.prefix}: {str(said)[:300]}") from exc


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None
