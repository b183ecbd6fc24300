"""Real identity servers on loopback for the sign-in tests: an OpenID Connect provider (the
oidc-provider package on Node, tests/idp/) and OpenLDAP's slapd with its own config and
database in a temp folder."""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hub.localbroker import LocalPki, free_port, local_pki
from tests.waiting import wait_until

IDP = Path(__file__).parent / "idp"
SLAPD = "/usr/sbin/slapd"
SCHEMAS = Path("/etc/ldap/schema")
SUFFIX = "dc=cage,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "directory root password"
SERVICE_DN = f"cn=hub-reader,{SUFFIX}"
SERVICE_PASSWORD = "service account password"


@contextmanager
def oidc_provider(
    port: int, client_id: str, client_secret: str, redirect_uri: str, accounts: dict[str, Any]
) -> Iterator[str]:
    """The provider on ``port``; yields its issuer. ``accounts`` maps a login to its claims
    (any other login signs in with an address the cage does not know)."""
    node = shutil.which("node")
    if node is None or not (IDP / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test OpenID provider is missing: run scripts/setup.sh --test")
    settings = {
        "port": port,
        "clients": [
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": [redirect_uri],
            }
        ],
        "accounts": accounts,
    }
    with _temp_json(settings) as path:
        process = subprocess.Popen(
            [node, "server.mjs", str(path)],
            cwd=IDP,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=_pump, args=(process, lines), daemon=True).start()
        try:
            said: list[str] = []
            while True:
                try:
                    line = lines.get(timeout=30)
                except queue.Empty:
                    raise AssertionError(f"the provider did not start: {said}") from None
                said.append(line)
                if line.startswith("ready "):
                    break
            yield line.split(" ", 1)[1].strip()
        finally:
            process.terminate()
            process.wait(timeout=10)


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put("(exited)")


@contextmanager
def _temp_json(data: Any) -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cagekeeper-idp-") as folder:
        path = Path(folder) / "settings.json"
        path.write_text(json.dumps(data))
        yield path


@dataclass(frozen=True)
class Slapd:
    url: str  # ldap://127.0.0.1:port (StartTLS offered)
    tls_url: str  # ldaps://127.0.0.1:port
    pki: LocalPki

    def add(self, ldif: str) -> None:
        """Add entries as the directory's root, with the server running (so the memberof
        overlay fills memberOf from the groups)."""
        subprocess.run(
            ["ldapadd", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif,
            text=True,
            check=True,
            capture_output=True,
        )


def _config(folder: Path, pki: LocalPki) -> str:
    schemas = "\n".join(
        f"include {SCHEMAS / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")
    )
    return f"""{schemas}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {folder / "slapd.pid"}
argsfile {folder / "slapd.args"}
TLSCACertificateFile {pki.ca_file}
TLSCertificateFile {pki.cert_file}
TLSCertificateKeyFile {pki.key_file}

database mdb
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw "{ROOT_PASSWORD}"
directory {folder / "db"}
maxsize 16777216
overlay memberof
access to attrs=userPassword
    by self write
    by anonymous auth
    by * none
access to *
    by self read
    by dn.exact="{SERVICE_DN}" read
    by * none
"""


@contextmanager
def slapd(folder: Path) -> Iterator[Slapd]:
    """slapd on two free loopback ports (ldap:// with StartTLS, and ldaps://), its TLS
    certificate issued by the tests' private CA; the suffix and the service account made."""
    if not Path(SLAPD).exists() or shutil.which("ldapadd") is None:
        pytest.fail(
            "OpenLDAP is missing: apt-get install slapd ldap-utils (scripts/setup.sh --test)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "db").mkdir()
    pki = local_pki()
    (folder / "slapd.conf").write_text(_config(folder, pki))
    plain, tls = free_port(), free_port()
    urls = f"ldap://127.0.0.1:{plain}/ ldaps://127.0.0.1:{tls}/"
    log = (folder / "slapd.log").open("w")
    process = subprocess.Popen(
        [SLAPD, "-d", "0", "-f", str(folder / "slapd.conf"), "-h", urls],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: process.poll() is not None or _listening(plain), "slapd listening", 15)
        assert process.poll() is None, (folder / "slapd.log").read_text()
        server = Slapd(f"ldap://127.0.0.1:{plain}", f"ldaps://127.0.0.1:{tls}", pki)
        server.add(
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: cage\n"
            "o: Cage test\n\n"
            f"dn: ou=people,{SUFFIX}\nobjectClass: organizationalUnit\nou: people\n\n"
            f"dn: ou=groups,{SUFFIX}\nobjectClass: organizationalUnit\nou: groups\n\n"
            f"dn: {SERVICE_DN}\nobjectClass: person\ncn: hub-reader\nsn: reader\n"
            f"userPassword: {SERVICE_PASSWORD}\n"
        )
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def person_ldif(uid: str, mail: str, password: str, number: str | None = None) -> str:
    """A user entry under ou=people."""
    extra = f"employeeNumber: {number}\n" if number else ""
    return (
        f"dn: uid={uid},ou=people,{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
        f"cn: {uid}\nsn: {uid}\nmail: {mail}\n{extra}userPassword: {password}\n\n"
    )


def group_ldif(name: str, *uids: str) -> str:
    members = "".join(f"member: uid={u},ou=people,{SUFFIX}\n" for u in uids)
    return f"dn: cn={name},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {name}\n{members}\n"
