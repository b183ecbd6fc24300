"""Loan periods per category and the trainings people hold and categories need."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from hub.cli.context import Ctx, pass_ctx


@click.command("loan-period")
@click.argument("category")
@click.argument("kind", type=click.Choice(["minutes", "hours", "days", "next_opening"]))
@click.argument("amount", type=click.IntRange(min=1), required=False)
@pass_ctx
def loan_period(ctx: Ctx, category: str, kind: str, amount: int | None) -> None:
    """Set the loan period of a category: N minutes, N hours, N open days (due at closing
    time), or until the cage next opens."""
    if kind != "next_opening" and amount is None:
        raise click.UsageError(f"{kind} needs an amount, e.g. loan-period {category} {kind} 2")
    with ctx.opened() as store:
        store.set_loan_period(category, kind, amount or 0)
    click.echo(f"{category}: {kind}{f' {amount}' if amount else ''}")


@click.group()
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
def training_grant(ctx: Ctx, person: str, name: str, expires: datetime | None) -> None:
    with ctx.opened() as store:
        until = expires.replace(tzinfo=UTC) + timedelta(days=1) if expires else None
        store.grant_training(person, name, until)
    click.echo(f"{person} holds {name}" + (f" until {expires:%Y-%m-%d}" if expires else ""))


@training.command("require")
@click.argument("category")
@click.argument("name")
@pass_ctx
def training_require(ctx: Ctx, category: str, name: str) -> None:
    """Only people holding training NAME may borrow items of CATEGORY."""
    with ctx.opened() as store:
        store.require_training(category, name)
    click.echo(f"{category} needs {name}")


COMMANDS = (loan_period, training)
