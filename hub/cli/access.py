"""API tokens for integrations: made here, shown once, stored only as a digest."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, pass_ctx
from hub.cli.users import role_option
from hub.web.auth import Role


@click.group()
def token() -> None:
    """Bearer tokens for the JSON API."""


@token.command("create")
@click.argument("name")
@role_option(Role.VIEWER)
@pass_ctx
def token_create(ctx: Ctx, name: str, role: str) -> None:
    """Make a token for an integration; it is printed once and cannot be shown again."""
    secret = ctx.change(lambda store, at, by: store.add_token(name, role, by, at))
    click.echo(secret)


@token.command("list")
@pass_ctx
def token_list(ctx: Ctx) -> None:
    with ctx.opened() as store:
        for t in store.tokens():
            used = f"{t.last_used:%Y-%m-%d %H:%M}" if t.last_used else "never used"
            state = "revoked" if t.revoked else t.role
            click.echo(f"{t.id}\t{t.name}\t{state}\t{used}")


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Ctx, token_id: int) -> None:
    ctx.change(lambda store, at, by: store.revoke_token(token_id, at, by))
    click.echo(f"token {token_id} revoked")


COMMANDS = (token,)
