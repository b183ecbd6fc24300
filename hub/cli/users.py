"""Dashboard users from a shell: create, change a password, disable and enable, list."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click
from click.decorators import FC

from hub.cli.context import Ctx, now_utc, pass_ctx
from hub.web.auth import Role, change_password, create_user


@click.group()
def user() -> None:
    """Dashboard users."""


def _password(from_stdin: bool, prompt: str) -> str:
    """The new password: one line of standard input (for scripts), or typed twice."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def role_option(default: Role) -> Callable[[FC], FC]:
    """``--role``, one of the dashboard's roles."""
    return click.option(
        "--role",
        type=click.Choice([r.value for r in Role]),
        default=default.value,
        show_default=True,
    )


@user.command("add")
@click.argument("username")
@role_option(Role.MANAGER)
@click.option(
    "--person", metavar="ID", help="The person whose account this is (a borrower's must say)."
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_add(ctx: Ctx, username: str, role: str, person: str | None, password_stdin: bool) -> None:
    """Create a dashboard user (the first one is how an install gets its admin); a borrower
    account is a person's, and shows them their own loans and bookings."""
    if role == Role.BORROWER and person is None:
        raise click.UsageError("a borrower's account must name the person it is (--person)")
    password = _password(password_stdin, "Password")
    with ctx.opened() as store:
        create_user(store, username, password, role, now_utc(), person=person)
    click.echo(f"user {username} ({role}{', ' + person if person else ''}) created")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def user_passwd(ctx: Ctx, username: str, password_stdin: bool) -> None:
    """Set a user's password; every session they have is signed out."""
    password = _password(password_stdin, "New password")
    ctx.change(lambda store, at, by: change_password(store, username, password, at, by))
    click.echo(f"password of {username} changed; their sessions are signed out")


@user.command("disable")
@click.argument("username")
@pass_ctx
def user_disable(ctx: Ctx, username: str) -> None:
    """Stop a user signing in and sign out every session they have."""
    ended = ctx.change(lambda store, at, by: store.set_user_disabled(username, True, at, by))
    click.echo(f"user {username} disabled; {ended} session{'s' if ended != 1 else ''} ended")


@user.command("enable")
@click.argument("username")
@pass_ctx
def user_enable(ctx: Ctx, username: str) -> None:
    """Let a disabled user sign in again."""
    ctx.change(lambda store, at, by: store.set_user_disabled(username, False, at, by))
    click.echo(f"user {username} enabled")


@user.command("list")
@pass_ctx
def user_list(ctx: Ctx) -> None:
    with ctx.opened() as store:
        for u in store.user_list():
            click.echo(f"{u.username}\t{u.role}\t{'disabled' if u.disabled else 'active'}")
