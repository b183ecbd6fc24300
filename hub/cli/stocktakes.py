"""``stocktake start|report|close``: counting a location's shelves at a kiosk there."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, pass_ctx


@click.group()
def stocktake() -> None:
    """Count what is on a location's shelves (scanned at a kiosk in staff Count mode)."""


@stocktake.command("start")
@click.argument("location")
@pass_ctx
def stocktake_start(ctx: Ctx, location: str) -> None:
    number = ctx.change(lambda store, at, by: store.start_stocktake(location, by, at))
    click.echo(f"stocktake {number} at {location}: scan the shelves at a kiosk there")


@stocktake.command("report")
@click.argument("number", type=int)
@pass_ctx
def stocktake_report(ctx: Ctx, number: int) -> None:
    """What was seen, what was expected there and not seen, and what was seen away from its
    home location (marked "away from home" with its home)."""
    with ctx.opened() as store:
        report = store.stocktake_report(number)
    away = {r.code for r in report.away}
    for what, rows in (("seen", report.seen), ("missing", report.missing)):
        for r in rows:
            mark = f"\taway from home: {r.home}" if what == "seen" and r.code in away else ""
            click.echo(f"{what}\t{r.code}\t{r.name}{mark}")
    click.echo(
        f"{len(report.seen)} seen ({len(away)} away from home), {len(report.missing)} missing",
        err=True,
    )


@stocktake.command("close")
@click.argument("number", type=int)
@pass_ctx
def stocktake_close(ctx: Ctx, number: int) -> None:
    ctx.change(lambda store, at, by: store.close_stocktake(number, by, at))
    click.echo(f"stocktake {number} closed")
