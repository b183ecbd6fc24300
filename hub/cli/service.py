"""``serve`` and ``migrate``: the hub itself."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, pass_ctx


@click.command()
@pass_ctx
def serve(ctx: Ctx) -> None:
    """Run the hub: MQTT ingest, replica publisher and the dashboard."""
    from hub.service import HubService

    service = HubService(ctx.config)
    click.echo(f"dashboard on {service.url}")
    service.serve_forever()


@click.command()
@pass_ctx
def migrate(ctx: Ctx) -> None:
    """Bring the database schema up to date (also done at every start)."""
    ctx.store().close()
    click.echo("database is up to date")


COMMANDS = (serve, migrate)
