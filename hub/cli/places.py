"""Locations (the cages assets and kiosks name) and the cages a dashboard user is limited to."""

from __future__ import annotations

import click

from hub.cli import _Ctx, _now, actor, cli, pass_ctx
from hub.cli.users import user


@cli.group()
def location() -> None:
    """The list of locations (cages)."""


@location.command("list")
@pass_ctx
def location_list(ctx: _Ctx) -> None:
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
def location_add(ctx: _Ctx, name: str) -> None:
    with ctx.opened() as store:
        added = store.add_location(name, _now(), actor())
    click.echo(f"location {added} added")


@location.command("rename")
@click.argument("old")
@click.argument("new")
@pass_ctx
def location_rename(ctx: _Ctx, old: str, new: str) -> None:
    """Rename a location on every asset, kiosk, stocktake and user naming it."""
    with ctx.opened() as store:
        renamed = store.rename_location(old, new, _now(), actor())
    click.echo(f"location {old} is now {renamed}")


@location.command("remove")
@click.argument("name")
@pass_ctx
def location_remove(ctx: _Ctx, name: str) -> None:
    """Take an unused location off the list."""
    with ctx.opened() as store:
        store.remove_location(name, _now(), actor())
    click.echo(f"location {name} removed")


@user.command("cages")
@click.argument("username")
@click.argument("cages", nargs=-1)
@pass_ctx
def user_cages(ctx: _Ctx, username: str, cages: tuple[str, ...]) -> None:
    """Limit a user to these cages (none given: every cage)."""
    with ctx.opened() as store:
        store.set_user_cages(username, cages, _now(), actor())
    click.echo(f"user {username}: {', '.join(sorted(cages)) or 'every cage'}")
