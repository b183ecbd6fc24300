"""Locations (the cages assets and kiosks name) and the cages a dashboard user is limited to."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, pass_ctx


@click.group()
def location() -> None:
    """The list of locations (cages)."""


@location.command("list")
@pass_ctx
def location_list(ctx: Ctx) -> None:
    """Each location with how many assets call it home, kiosks stand there, users are
    limited to it."""
    with ctx.opened() as store:
        places = store.places()
    if not places:
        click.echo("no locations")
    for p in places:
        click.echo(f"{p.name}\t{p.assets} assets\t{p.kiosks} kiosks\t{p.users} users")


@location.command("add")
@click.argument("name")
@pass_ctx
def location_add(ctx: Ctx, name: str) -> None:
    added = ctx.change(lambda store, at, by: store.add_location(name, at, by))
    click.echo(f"location {added} added")


@location.command("rename")
@click.argument("old")
@click.argument("new")
@pass_ctx
def location_rename(ctx: Ctx, old: str, new: str) -> None:
    """Rename a location on every asset, kiosk, stocktake and user naming it."""
    renamed = ctx.change(lambda store, at, by: store.rename_location(old, new, at, by))
    click.echo(f"location {old} is now {renamed}")


@location.command("remove")
@click.argument("name")
@pass_ctx
def location_remove(ctx: Ctx, name: str) -> None:
    """Take an unused location off the list."""
    ctx.change(lambda store, at, by: store.remove_location(name, at, by))
    click.echo(f"location {name} removed")


@click.command("cages")
@click.argument("username")
@click.argument("cages", nargs=-1)
@pass_ctx
def user_cages(ctx: Ctx, username: str, cages: tuple[str, ...]) -> None:
    """Limit a user to these cages (none given: every cage)."""
    ctx.change(lambda store, at, by: store.set_user_cages(username, cages, at, by))
    click.echo(f"user {username}: {', '.join(sorted(cages)) or 'every cage'}")


COMMANDS = (location,)
