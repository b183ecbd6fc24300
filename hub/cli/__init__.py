"""``cagekeeper-hub``: run the hub and manage its registry from a shell."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import click
import tomli_w

from hub.cli.files import ensure_writable, write_file
from hub.cli.person_input import badge_uids, checked_person
from hub.config import HubConfig, load_config
from hub.domain.bookings import from_local
from hub.domain.bookings import local as booking_local
from hub.errors import HubError
from hub.store import Store
from hub.store.base import wait_when_busy
from hub.store.configured import open_store
from wire.topics import is_valid_kiosk_id


def _now() -> datetime:
    return datetime.now(UTC)


class _Ctx:
    def __init__(self, config_path: Path, busy_timeout: float = 30.0) -> None:
        self.config_path = config_path
        self.busy_timeout = busy_timeout
        self._config: HubConfig | None = None
        # set by a command that turned out to store nothing (a dry run, a refused file)
        self.changed_nothing = False

    @property
    def config(self) -> HubConfig:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    def store(self) -> Store:
        store = open_store(self.config)
        wait_when_busy(store.engine, self.busy_timeout)
        return store

    @contextmanager
    def opened(self) -> Iterator[Store]:
        """The store for one command; a command that changed something is audited once: by
        the store when it records the change itself, else here."""
        store = self.store()
        self.changed_nothing = False
        try:
            mark = store.audit_mark()
            yield store
            if not self.changed_nothing and not store.audited_since(mark, actor()):
                _audit_command(store)
        finally:
            store.close()


pass_ctx = click.make_pass_decorator(_Ctx)

# commands that only read: nothing for the audit log
READ_ONLY = frozenset({"export", "list", "report", "valuation", "labels", "quarantine", "verify"})


def _audit_command(store: Store) -> None:
    ctx = click.get_current_context(silent=True)
    if ctx is None or ctx.info_name in READ_ONLY:
        return
    action = "cli." + ".".join(ctx.command_path.split()[1:])
    detail = " ".join(f"{k}={v}" for k, v in sorted(ctx.params.items()) if v not in (None, ()))
    store.audit(_now(), actor(), action, None, detail)


@click.group()
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="CAGEKEEPER_HUB_CONFIG",
    default=Path("/etc/cagekeeper/hub.toml"),
    show_default=True,
    help="Hub configuration file.",
)
@click.option(
    "--busy-timeout",
    type=click.FloatRange(min=0),
    envvar="CAGEKEEPER_BUSY_TIMEOUT",
    default=30.0,
    show_default=True,
    help="Seconds to wait for the hub or another command writing to a SQLite database.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def cli(ctx: click.Context, config_path: Path, busy_timeout: float, verbose: bool) -> None:
    """Cagekeeper hub: custody ledger, policy and dashboard."""
    if not verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = _Ctx(config_path, busy_timeout)


@cli.command()
@pass_ctx
def serve(ctx: _Ctx) -> None:
    """Run the hub: MQTT ingest, replica publisher and the dashboard."""
    from hub.service import HubService

    service = HubService(ctx.config)
    click.echo(f"dashboard on {service.url}")
    service.serve_forever()


@cli.command()
@pass_ctx
def migrate(ctx: _Ctx) -> None:
    """Bring the database schema up to date (also done at every start)."""
    ctx.store().close()
    click.echo("database is up to date")


@cli.group()
def kiosk() -> None:
    """Kiosks and their credentials."""


@kiosk.command("add")
@click.argument("kiosk_id")
@click.option("--name", default=None, help="Name shown on the kiosk and dashboard.")
@click.option(
    "--write-config",
    type=click.Path(path_type=Path),
    default=None,
    help="Write a kiosk config file with the new credentials (mode 0600).",
)
@click.option("--location", default=None, help="The cage it stands in; returns move items here.")
@pass_ctx
def kiosk_add(
    ctx: _Ctx, kiosk_id: str, name: str | None, write_config: Path | None, location: str | None
) -> None:
    """Register a kiosk: make its signing key and broker login."""
    if not is_valid_kiosk_id(kiosk_id):
        raise click.BadParameter("lowercase letters, digits and dashes; not 'hub'", param_hint="ID")
    ca_pem = None
    if write_config is not None:
        ensure_writable(write_config)
        ca_pem = broker_ca_pem(ctx.config)
    with ctx.opened() as store:
        key = store.add_kiosk(kiosk_id, name or kiosk_id, _now(), location=location)
    password = secrets.token_urlsafe(24)
    passwd_file = ctx.config.broker.broker_passwd_file
    if passwd_file is not None:
        add_broker_login(passwd_file, kiosk_id, password)
        click.echo(f"broker login added to {passwd_file}; reload mosquitto to apply")
    if write_config is not None:
        write_file(
            write_config,
            kiosk_config_text(kiosk_id, name or kiosk_id, ctx.config, password, key.hex(), ca_pem),
            mode=0o600,
        )
        click.echo(f"kiosk config written to {write_config}")
        b = ctx.config.broker
        if (b.kiosk_host or b.host) in ("localhost", "127.0.0.1", "::1"):
            click.echo(
                "warning: the kiosk is told to reach the broker at this machine's loopback "
                "address; set kiosk_host in [broker] to the hub's name and write it again",
                err=True,
            )
    else:
        click.echo(f"signing key (hex): {key.hex()}")
        click.echo(f"broker username: {kiosk_id}\nbroker password: {password}")


def add_broker_login(passwd_file: Path, username: str, password: str) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise HubError("mosquitto_passwd is not installed (apt-get install mosquitto)")
    if not passwd_file.exists():
        passwd_file.touch(mode=0o600)
    subprocess.run([tool, "-b", str(passwd_file), username, password], check=True)


def broker_ca_pem(config: HubConfig) -> str | None:
    """The CA kiosks verify the broker with, as PEM text (None: the system's CAs)."""
    ca = config.broker.tls_ca
    if not config.broker.tls or ca is None:
        return None
    try:
        pem = ca.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise HubError(f"cannot read the broker CA {ca}: {exc}") from exc
    if "-----BEGIN CERTIFICATE-----" not in pem:
        raise HubError(f"{ca}: no PEM certificate in it")
    return pem


def kiosk_config_text(
    kiosk_id: str,
    name: str,
    config: HubConfig,
    password: str,
    key_hex: str,
    ca_pem: str | None = None,
) -> str:
    """The kiosk's [kiosk], [broker] and [signing] parts. The broker's CA goes in as PEM text
    (``tls_ca_pem``), so the one file copied to the kiosk is all it needs to verify the
    broker. Written by a TOML library: any name a manager types stays one valid string."""
    b = config.broker
    broker: dict[str, object] = {
        "host": b.kiosk_host or b.host,
        "port": b.port,
        "password": password,
        "topic_root": b.topic_root,
    }
    if not b.tls:
        broker["tls"] = False
    elif ca_pem is not None:
        broker["tls_ca_pem"] = ca_pem.strip() + "\n"
    document = {
        "kiosk": {"id": kiosk_id, "name": name},
        "broker": broker,
        "signing": {"key": key_hex},
    }
    return tomli_w.dumps(document, multiline_strings=True)


@cli.group()
def person() -> None:
    """People who borrow."""


@person.command("add")
@click.argument("person_id")
@click.argument("name")
@click.option(
    "--badge", "badges", multiple=True, callback=badge_uids, help="Badge UID in hex (repeatable)."
)
@click.option("--staff", is_flag=True, help="May unlock the cage door at kiosks.")
@click.option("--email", default=None, help="Where due and overdue reminders go.")
@pass_ctx
def person_add(
    ctx: _Ctx,
    person_id: str,
    name: str,
    badges: tuple[str, ...],
    staff: bool,
    email: str | None,
) -> None:
    row = checked_person(person_id, name, email, badges, staff)
    with ctx.opened() as store:
        store.add_person(row.id, row.name, row.badges, staff=staff, email=row.email, now=_now())
    click.echo(f"person {row.id} added")


@person.command("badge")
@click.argument("person_id")
@click.argument("uid", callback=badge_uids)
@pass_ctx
def person_badge(ctx: _Ctx, person_id: str, uid: str) -> None:
    """Give PERSON_ID another badge, e.g. a replacement for a lost one, or a revoked badge
    again (to them or to someone else; the revoked registration stays in the history)."""
    with ctx.opened() as store:
        store.add_badge(person_id, uid, now=_now())
    click.echo(f"badge {uid} added to {person_id}")


@person.command("revoke-badge")
@click.argument("uid", callback=badge_uids)
@pass_ctx
def person_revoke_badge(ctx: _Ctx, uid: str) -> None:
    """Stop a lost or stolen badge from working at any kiosk."""
    with ctx.opened() as store:
        owner, newly = store.revoke_badge(uid, now=_now())
    click.echo(f"badge {uid} of {owner} {'revoked' if newly else 'was revoked already'}")


@cli.group()
def asset() -> None:
    """Equipment."""


@asset.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--category", required=True)
@click.option("--kit", default=None, help="Make it a piece of this kit (an asset code).")
@click.option("--serial", default=None)
@click.option("--home", default=None, help="The cage it belongs to.")
@click.option("--cost", type=Decimal, default=None, help="Purchase cost.")
@click.option("--acquired", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--supplier", default=None)
@pass_ctx
def asset_add(
    ctx: _Ctx,
    code: str,
    name: str,
    category: str,
    kit: str | None,
    serial: str | None,
    home: str | None,
    cost: Decimal | None,
    acquired: datetime | None,
    supplier: str | None,
) -> None:
    """Register an asset; its acquisition starts its life in the ledger."""
    details = {
        "serial": serial,
        "home": home,
        "cost": cost,
        "acquired": acquired.date() if acquired else None,
        "supplier": supplier,
    }
    with ctx.opened() as store:
        store.add_asset(
            code.upper(),
            name,
            category,
            kit.upper() if kit else None,
            now=_now(),
            actor=actor(),
            **{k: v for k, v in details.items() if v is not None},
        )
    click.echo(f"asset {code.upper()} added")


@cli.command("loan-period")
@click.argument("category")
@click.argument("kind", type=click.Choice(["minutes", "hours", "days", "next_opening"]))
@click.argument("amount", type=click.IntRange(min=1), required=False)
@pass_ctx
def loan_period(ctx: _Ctx, category: str, kind: str, amount: int | None) -> None:
    """Set the loan period of a category: N minutes, N hours, N open days (due at closing
    time), or until the cage next opens."""
    if kind != "next_opening" and amount is None:
        raise click.UsageError(f"{kind} needs an amount, e.g. loan-period {category} {kind} 2")
    with ctx.opened() as store:
        store.set_loan_period(category, kind, amount or 0)
    click.echo(f"{category}: {kind}{f' {amount}' if amount else ''}")


@cli.group()
def training() -> None:
    """Trainings people hold, and which categories need one."""


@training.command("grant")
@click.argument("person")
@click.argument("name")
@click.option(
    "--expires",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Last day it is valid (UTC); without it, it never expires.",
)
@pass_ctx
def training_grant(ctx: _Ctx, person: str, name: str, expires: datetime | None) -> None:
    with ctx.opened() as store:
        until = expires.replace(tzinfo=UTC) + timedelta(days=1) if expires else None
        store.grant_training(person, name, until)
    click.echo(f"{person} holds {name}" + (f" until {expires:%Y-%m-%d}" if expires else ""))


@training.command("require")
@click.argument("category")
@click.argument("name")
@pass_ctx
def training_require(ctx: _Ctx, category: str, name: str) -> None:
    """Only people holding training NAME may borrow items of CATEGORY."""
    with ctx.opened() as store:
        store.require_training(category, name)
    click.echo(f"{category} needs {name}")


@cli.group()
def booking() -> None:
    """Reservations: inside its window only the booker may take the item."""


@booking.command("add")
@click.argument("asset")
@click.argument("person")
@click.argument("starts", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
@click.argument("ends", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
@pass_ctx
def booking_add(ctx: _Ctx, asset: str, person: str, starts: datetime, ends: datetime) -> None:
    """Book ASSET for PERSON from STARTS to ENDS, in the cage's time zone ([hub] timezone),
    e.g. 2026-03-02T09:00."""
    tz = ZoneInfo(ctx.config.hub.timezone)
    start_at, end_at = from_local(starts, tz), from_local(ends, tz)
    with ctx.opened() as store:
        number = store.add_booking(
            asset.upper(), person, start_at, end_at, _now(), tz, actor=actor()
        )
    click.echo(
        f"booking {number}: {asset.upper()} for {person}, "
        f"{booking_local(start_at, tz)} to {booking_local(end_at, tz)}"
    )


@booking.command("list")
@click.option("--days", type=click.IntRange(1, 36500), default=14, show_default=True)
@pass_ctx
def booking_list(ctx: _Ctx, days: int) -> None:
    """Bookings from now on for DAYS days, and what became of each (booked, picked up,
    no-show, cancelled), times in the cage's time zone."""
    tz = ZoneInfo(ctx.config.hub.timezone)
    now = _now()
    with ctx.opened() as store:
        rows = store.bookings_between(now, now + timedelta(days=days), ended=True)
    if not rows:
        click.echo(f"no bookings in the next {days} days")
    for b in rows:
        click.echo(
            f"{b['id']}\t{b['asset']}\t{b['person']}\t{booking_local(b['starts'], tz)}\t"
            f"{booking_local(b['ends'], tz)}\t{b['state']}"
        )


@booking.command("cancel")
@click.argument("booking_id", type=int)
@pass_ctx
def booking_cancel(ctx: _Ctx, booking_id: int) -> None:
    with ctx.opened() as store:
        store.cancel_booking(booking_id, _now(), actor=actor())
    click.echo(f"booking {booking_id} cancelled")


@cli.command()
@click.option("--show", "entry", type=int, default=None, help="Print this entry in full.")
@click.option("--raw", is_flag=True, help="With --show: only the payload's exact bytes.")
@pass_ctx
def quarantine(ctx: _Ctx, entry: int | None, raw: bool) -> None:
    """List messages that could not be ingested, with why (payloads cut to 120 bytes).

    A message that came again with the same bytes on the same topic is one entry: "repeats"
    counts the copies after the first, "last seen" is the latest. Times are UTC. A payload
    longer than the cap keeps only its first bytes ("bytes" is the whole length; --show gives
    its SHA-256). Messages not kept because their kiosk's share of the quarantine was full are
    counted per kiosk after the list ("-": unknown kiosks and other topics).
    """
    if raw and entry is None:
        raise click.UsageError("--raw goes with --show ID")
    with ctx.opened() as store:
        if entry is not None:
            q = store.quarantined_entry(entry)
            if raw:
                click.echo(q.payload, nl=False)  # bytes: written as they are (what was kept)
                return
            kept = (
                f"{q.size} bytes"
                if q.complete
                else f"{q.size} bytes, the first {len(q.payload)} kept"
            )
            click.echo(
                f"entry:     {q.id}\n"
                f"topic:     {_shown(q.topic)}\n"
                f"kiosk:     {q.kiosk or '-'}\n"
                f"received:  {q.received_at:%Y-%m-%d %H:%M:%S}\n"
                f"last seen: {q.last_at:%Y-%m-%d %H:%M:%S}\n"
                f"repeats:   {q.repeats}\n"
                f"error:     {_shown(q.error)}\n"
                f"payload:   {kept}, sha256 {q.sha256}\n"
                f"{_payload_text(q.payload)}"
            )
            return
        click.echo("id\treceived\tlast seen\trepeats\tkiosk\ttopic\terror\tpayload\tbytes")
        for q in store.quarantined():
            error = " ".join(q.error.split())
            click.echo(
                f"{q.id}\t{q.received_at:%Y-%m-%d %H:%M:%S}\t{q.last_at:%Y-%m-%d %H:%M:%S}\t"
                f"{q.repeats}\t{q.kiosk or '-'}\t{_shown(q.topic)}\t{_shown(error)}\t"
                f"{q.payload[:120]!r}\t{q.size}"
            )
        overflow = store.quarantine_overflow()
        if overflow:
            click.echo("\nnot kept (the kiosk's share of the quarantine was full):")
            click.echo("kiosk\tnot kept\tfirst\tlast\tlatest error")
        for o in overflow:
            click.echo(
                f"{o.bucket}\t{o.dropped}\t{o.first_at:%Y-%m-%d %H:%M:%S}\t"
                f"{o.last_at:%Y-%m-%d %H:%M:%S}\t{_shown(' '.join(o.error.split()))}"
            )


def _shown(text: str) -> str:
    """Text safe on a terminal: control characters (an escape sequence) escaped."""
    return "".join(c if c.isprintable() or c in "\n\t" else f"\\x{ord(c):02x}" for c in text)


def _payload_text(payload: bytes) -> str:
    """The payload as text if it is UTF-8 (control characters escaped), else as a bytes repr."""
    try:
        return _shown(payload.decode())
    except UnicodeDecodeError:
        return repr(payload)


def actor() -> str:
    """Who the audit log names for a shell command."""
    return f"cli:{os.environ.get('SUDO_USER') or os.environ.get('USER') or 'root'}"


from hub.cli import (  # noqa: E402  (commands above)
    access,
    backup,
    groups,
    ledger,
    pins,
    places,
    registry,
    users,
)

__all__ = [
    "access",
    "backup",
    "cli",
    "groups",
    "ledger",
    "main",
    "pins",
    "places",
    "registry",
    "users",
]


def main() -> None:
    try:
        cli(standalone_mode=True)
    except (HubError, ValueError) as exc:  # ValueError: a user's details did not pass the rules
        click.echo(f"error: {exc}", err=True)
        if "database is locked" in str(exc):
            click.echo("another program kept writing; wait longer with --busy-timeout", err=True)
        sys.exit(2)
