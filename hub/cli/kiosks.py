"""``kiosk add``: a kiosk's signing key, broker login and config file."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path

import click
import tomli_w

from hub.cli.context import Ctx, now_utc, pass_ctx
from hub.cli.files import ensure_writable, write_file
from hub.config import HubConfig
from hub.errors import HubError
from wire.topics import is_valid_kiosk_id


@click.group()
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
    ctx: Ctx, kiosk_id: str, name: str | None, write_config: Path | None, location: str | None
) -> None:
    """Register a kiosk: make its signing key and broker login."""
    if not is_valid_kiosk_id(kiosk_id):
        raise click.BadParameter("lowercase letters, digits and dashes; not 'hub'", param_hint="ID")
    ca_pem = None
    if write_config is not None:
        ensure_writable(write_config)
        ca_pem = broker_ca_pem(ctx.config)
    with ctx.opened() as store:
        key = store.add_kiosk(kiosk_id, name or kiosk_id, now_utc(), location=location)
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
