"""``cagekeeper-hub``: run the hub and manage its registry from a shell.

Each module of this package owns a family of commands and shares only ``hub.cli.context``;
this one makes the top-level group and gives each command its place in it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from hub.cli import (
    access,
    assets,
    backup,
    bookings,
    groups,
    kiosks,
    ledger,
    people,
    pins,
    places,
    policies,
    quarantine,
    registry,
    service,
    stocktakes,
    users,
)
from hub.cli.context import Ctx
from hub.errors import HubError

__all__ = ["cli", "main"]


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
    ctx.obj = Ctx(config_path, busy_timeout)


for command in (
    *service.COMMANDS,
    kiosks.kiosk,
    people.person,
    assets.asset,
    *policies.COMMANDS,
    bookings.booking,
    quarantine.quarantine,
    *access.COMMANDS,
    *backup.COMMANDS,
    *ledger.COMMANDS,
    *places.COMMANDS,
    *registry.COMMANDS,
    groups.category,
    stocktakes.stocktake,
    users.user,
):
    cli.add_command(command)
for piece in registry.ASSET_COMMANDS:
    assets.asset.add_command(piece)
for piece in (*registry.PERSON_COMMANDS, pins.pin, groups.person_groups):
    people.person.add_command(piece)
users.user.add_command(places.user_cages)


def main() -> None:
    try:
        cli(standalone_mode=True)
    except (HubError, ValueError) as exc:  # ValueError: a user's details did not pass the rules
        click.echo(f"error: {exc}", err=True)
        if "database is locked" in str(exc):
            click.echo("another program kept writing; wait longer with --busy-timeout", err=True)
        sys.exit(2)
