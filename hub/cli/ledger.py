"""Checking the stored custody against a replay of the ledger, and repairing it."""

from __future__ import annotations

import sys

import click

from hub.cli.context import Ctx, actor, now_utc, pass_ctx


@click.command()
@click.option("--repair", is_flag=True, help="Re-derive what differs from the ledger (audited).")
@pass_ctx
def verify(ctx: Ctx, repair: bool) -> None:
    """Replay the ledger and compare it with who holds what, late returns, problem tickets,
    anomalies, statuses, open alerts and the reports' loan sums as stored. Exit status 1 when
    they differ (after a repair: 0, and what was repaired is printed)."""
    store = ctx.store()
    try:
        found = store.repair(now_utc(), actor()) if repair else store.verify(now_utc())
    finally:
        store.close()
    for difference in found:
        click.echo(str(difference))
    if not found:
        click.echo("the stored custody matches the ledger")
    elif repair:
        click.echo(f"repaired {len(found)} differences")
    else:
        click.echo(f"{len(found)} differences; run with --repair to fix them")
        sys.exit(1)


COMMANDS = (verify,)
