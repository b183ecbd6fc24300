"""``asset add``: one asset registered, its acquisition the start of its ledger."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import click

from hub.cli.context import Ctx, actor, now_utc, pass_ctx


@click.group()
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
    ctx: Ctx,
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
            now=now_utc(),
            actor=actor(),
            **{k: v for k, v in details.items() if v is not None},
        )
    click.echo(f"asset {code.upper()} added")
