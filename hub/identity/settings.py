"""The ``[identity.oidc]`` and ``[identity.ldap]`` sections of hub.toml.

Secrets (the client secret, the directory's service password) are never written in hub.toml:
each is read from a file or from an environment variable that the section names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from configfile import read_secret
from hub.errors import ConfigError

# Staff roles a provider's group may grant; a borrower needs no group, only a person.
StaffRole = Literal["viewer", "manager", "admin"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Secret(_Section):
    """A secret read from ``<name>_file`` or the environment variable ``<name>_env``."""

    def _secret(self, name: str, required: bool) -> str | None:
        path: Path | None = getattr(self, f"{name}_file")
        env: str | None = getattr(self, f"{name}_env")
        if path is not None:
            return read_secret(path, f"identity {name}", ConfigError)
        if env is not None:
            value = os.environ.get(env, "").strip()
            if not value:
                raise ConfigError(f"the environment variable {env} (identity {name}) is not set")
            return value
        if required:
            raise ConfigError(f"identity: give {name}_file or {name}_env")
        return None


def _one_source(section: BaseModel, name: str, required: bool) -> None:
    given = [f"{name}_{k}" for k in ("file", "env") if getattr(section, f"{name}_{k}") is not None]
    if len(given) > 1:
        raise ValueError(f"give {name}_file or {name}_env, not both")
    if required and not given:
        raise ValueError(f"give {name}_file or {name}_env (the secret is never written here)")


class Mapping(_Section):
    """How an account at the provider becomes someone at the cage (shared by OIDC and LDAP)."""

    # The claim (OIDC) or attribute (LDAP) whose value names the person, and the people
    # column it is compared with: "id" (a student number kept as the person's id) or "email"
    # (compared without regard to case).
    match: Literal["id", "email"] = "email"
    # Group claim/attribute values that make a staff user with that role (the highest wins);
    # everyone else signs in as a borrower of their own person.
    staff_groups: dict[str, StaffRole] = Field(default_factory=dict)
    # An existing dashboard user whose username equals the provider's username signs in as
    # that user, with their own role. Off by default: turn it on only where the provider's
    # usernames are the same people as the dashboard's.
    existing_users: bool = False
    # The groups the provider gives a person replace their access groups at each sign-in.
    sync_groups: bool = False

    @field_validator("staff_groups")
    @classmethod
    def _groups_named(cls, value: dict[str, StaffRole]) -> dict[str, StaffRole]:
        if any(not g.strip() for g in value):
            raise ValueError("a staff group's name is empty")
        return value


class OidcSection(_Secret):
    # What the login page's button says: "Sign in with <name>".
    name: str = Field(default="your institution", min_length=1, max_length=60)
    # The provider's issuer; its discovery document is read from
    # <issuer>/.well-known/openid-configuration and must name the same issuer.
    issuer: str
    client_id: str = Field(min_length=1)
    client_secret_file: Path | None = None
    client_secret_env: str | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "email", "profile"])
    person_claim: str = "email"
    username_claim: str = "preferred_username"
    groups_claim: str | None = None  # e.g. "groups" or "roles"; none: groups are not read
    # A CA file for the provider's certificate (the system's CAs when left out).
    ca_file: Path | None = None
    # The address the provider sends browsers back to; left out: [web] public_url, else the
    # address the browser used, followed by /login/oidc/callback.
    redirect_url: str | None = None
    mapping: Mapping = Field(default_factory=Mapping)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError(f"{value!r} is not an https:// address")
        if parts.query or parts.fragment:
            raise ValueError("the issuer has no query or fragment")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("scopes must include openid")
        return value

    @model_validator(mode="after")
    def _secret_source(self) -> OidcSection:
        _one_source(self, "client_secret", required=True)
        return self

    def client_secret(self) -> str:
        secret = self._secret("client_secret", required=True)
        assert secret is not None
        return secret

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


_FILTER_SAFE = re.compile(r"^\(.*\{username\}.*\)$")


class LdapSection(_Secret):
    # How messages name the directory ("Your <name> account ...").
    name: str = Field(default="directory", min_length=1, max_length=60)
    # ldap://host or ldaps://host[:port]; several are tried in turn.
    servers: list[str] = Field(min_length=1)
    starttls: bool = False  # upgrade an ldap:// connection before anything is sent
    ca_file: Path | None = None  # checks the server's certificate (the system's CAs if left out)
    timeout_seconds: float = Field(default=5, gt=0, le=60)
    # Either a DN template the login name fills ("uid={username},ou=people,dc=example,dc=org")
    # or a search: a service account binds, finds the user's DN under search_base with
    # user_filter, then the user binds with their password.
    user_dn_template: str | None = None
    bind_dn: str | None = None
    bind_password_file: Path | None = None
    bind_password_env: str | None = None
    search_base: str | None = None
    user_filter: str = "(&(objectClass=person)(uid={username}))"
    # The attribute whose value names the person (see mapping.match), the one the username
    # comes from, and the groups: memberOf when the directory keeps it (Active Directory,
    # OpenLDAP's memberof overlay), else a search for groups naming the user's DN.
    person_attribute: str = "mail"
    groups_attribute: str | None = "memberOf"
    group_search_base: str | None = None
    group_filter: str = "(&(objectClass=groupOfNames)(member={dn}))"
    group_name_attribute: str = "cn"
    mapping: Mapping = Field(default_factory=Mapping)

    @field_validator("servers")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if urlsplit(url).scheme not in ("ldap", "ldaps") or not urlsplit(url).hostname:
                raise ValueError(f"{url!r} is not an ldap:// or ldaps:// address")
        return value

    @field_validator("user_filter")
    @classmethod
    def _filter(cls, value: str) -> str:
        if not _FILTER_SAFE.match(value):
            raise ValueError("user_filter is an LDAP filter in parentheses naming {username}")
        return value

    @model_validator(mode="after")
    def _how_found(self) -> LdapSection:
        if self.user_dn_template is not None:
            if "{username}" not in self.user_dn_template:
                raise ValueError("user_dn_template must contain {username}")
            if self.search_base is not None:
                raise ValueError("give user_dn_template or search_base, not both")
        elif self.search_base is None:
            raise ValueError("give user_dn_template, or search_base (with bind_dn to search as)")
        if self.bind_dn is not None:
            _one_source(self, "bind_password", required=True)
        elif self.bind_password_file or self.bind_password_env:
            raise ValueError("a bind password is given without bind_dn")
        if self.starttls and any(u.startswith("ldaps:") for u in self.servers):
            raise ValueError("starttls is for ldap:// servers; ldaps:// is TLS already")
        return self

    def bind_password(self) -> str | None:
        return self._secret("bind_password", required=False)


class IdentitySection(_Section):
    oidc: OidcSection | None = None
    ldap: LdapSection | None = None
