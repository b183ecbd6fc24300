"""LDAP sign-in through ldap3: find the user's entry (a DN template, or a search as a service
account), bind as the user with their password, read the attributes that name the person and
their groups.

An empty password is refused before anything is sent: LDAP takes a bind with a name and no
password as an anonymous bind, which succeeds on many servers.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import Any

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from hub.identity.admission import Account
from hub.identity.settings import LdapSection


class DirectoryUnavailable(Exception):
    """No server of the directory answered (or TLS with it failed)."""


@dataclass(frozen=True)
class Checked:
    """What the directory said of a login: whether the name exists there, and the account
    when the password was right too."""

    known: bool
    account: Account | None = None


class Directory:
    def __init__(self, section: LdapSection, bind_password: str | None) -> None:
        self.section = section
        self.provider = f"ldap:{section.servers[0]}"
        self._bind_password = bind_password
        tls = Tls(
            validate=ssl.CERT_REQUIRED,
            version=ssl.PROTOCOL_TLS_CLIENT,
            ca_certs_file=str(section.ca_file) if section.ca_file else None,
        )
        self._servers = [
            Server(
                url,
                use_ssl=url.startswith("ldaps:"),
                tls=tls,
                get_info=NONE,
                connect_timeout=section.timeout_seconds,
            )
            for url in section.servers
        ]

    @property
    def label(self) -> str:
        return self.section.name

    def check(self, username: str, password: str) -> Checked:
        """Whether ``username`` and ``password`` are a directory account's; raises
        DirectoryUnavailable when no server could be asked."""
        if not username or not password or "\x00" in username + password:
            return Checked(known=False)
        failure: Exception | None = None
        for server in self._servers:
            try:
                return self._check(server, username, password)
            except LDAPException as exc:  # this server is down or refused TLS: try the next
                failure = exc
        raise DirectoryUnavailable(f"{self.label}: {failure}")

    def _check(self, server: Server, username: str, password: str) -> Checked:
        s = self.section
        service = self._connect(server, s.bind_dn, self._bind_password) if s.bind_dn else None
        if service is None and s.user_dn_template is None:
            service = self._connect(server, None, None)  # an anonymous search
        try:
            if s.user_dn_template is not None:
                dn = s.user_dn_template.format(username=escape_rdn(username))
            else:
                found = self._find(service, username)
                if found is None:
                    return Checked(known=False)
                dn = found
            user = self._connect(server, dn, password)
            if user is None:
                return Checked(known=s.user_dn_template is None)
            try:
                entry = self._read(user, dn)
                if entry is None:  # a DN template naming no entry (some servers bind it)
                    return Checked(known=False)
                groups = self._groups(service or user, dn, entry)
            finally:
                user.unbind()
        finally:
            if service is not None:
                service.unbind()
        return Checked(
            known=True,
            account=Account(
                provider=self.provider,
                label=self.label,
                subject=dn.lower(),
                username=username.strip().lower(),
                person_key=_first(entry.get(s.person_attribute.lower())),
                groups=groups,
            ),
        )

    def _connect(self, server: Server, dn: str | None, password: str | None) -> Connection | None:
        """A bound connection, or None when the directory refused the credentials."""
        conn = Connection(
            server,
            user=dn,
            password=password,
            receive_timeout=self.section.timeout_seconds,
            auto_referrals=False,  # a referral is not followed with the user's password
            raise_exceptions=False,
        )
        conn.open()
        if self.section.starttls and not conn.start_tls():
            raise DirectoryUnavailable(f"{self.label} refused StartTLS: {conn.result}")
        if not conn.bind():
            if dn is not None and dn == self.section.bind_dn:
                raise DirectoryUnavailable(f"{self.label} refused the service account's bind")
            conn.unbind()
            return None
        return conn

    def _find(self, conn: Connection | None, username: str) -> str | None:
        if conn is None:
            raise DirectoryUnavailable(f"{self.label} refused an anonymous search")
        s = self.section
        assert s.search_base is not None
        query = s.user_filter.format(username=escape_filter_chars(username))
        conn.search(s.search_base, query, SUBTREE, attributes=[], size_limit=2)
        entries = [e for e in conn.response or () if e.get("type") == "searchResEntry"]
        return str(entries[0]["dn"]) if len(entries) == 1 else None  # two: refuse, not guess

    def _read(self, conn: Connection, dn: str) -> dict[str, Any] | None:
        s = self.section
        wanted = [s.person_attribute] + ([s.groups_attribute] if s.groups_attribute else [])
        conn.search(dn, "(objectClass=*)", BASE, attributes=wanted)
        entries = [e for e in conn.response or () if e.get("type") == "searchResEntry"]
        if not entries:
            return None
        return {str(k).lower(): v for k, v in entries[0]["attributes"].items()}

    def _groups(self, conn: Connection, dn: str, entry: dict[str, Any]) -> tuple[str, ...]:
        s = self.section
        names: list[str] = []
        if s.groups_attribute:
            names += [_rdn_value(g) for g in _values(entry.get(s.groups_attribute.lower()))]
        if s.group_search_base:
            query = s.group_filter.format(dn=escape_filter_chars(dn))
            conn.search(s.group_search_base, query, SUBTREE, attributes=[s.group_name_attribute])
            for found in conn.response or ():
                if found.get("type") == "searchResEntry":
                    names += _values(found["attributes"].get(s.group_name_attribute))
        return tuple(sorted({n for n in names if n}))


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


def _first(value: Any) -> str | None:
    found = [v.strip() for v in _values(value) if v.strip()]
    return found[0] if found else None


def _rdn_value(dn: str) -> str:
    """A group DN's first value (cn=film,ou=groups,... is "film"); a plain name as it is."""
    try:
        return str(parse_dn(dn)[0][1])
    except (LDAPException, IndexError):
        return dn
