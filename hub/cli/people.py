"""``person add|badge|revoke-badge``: people who borrow and their badges."""

from __future__ import annotations

import click

from hub.cli.context import Ctx, now_utc, pass_ctx
from hub.cli.person_input import badge_uids, checked_person


@click.group()
def person() -> None:
    """People who borrow."""


@person.command("add")
@click.argument("person_id")
@click.argument("name")
@click.option(
    "--badge", "badges", multiple=True, callback=badge_uids, help="Badge UID in hex (repeatable)."
)
@click.option("--staff", is_flag=True, help="May unlock the cage door at kiosks.")
@click.option("--email", default=None, help="Where due and overdue reminders go.")
@pass_ctx
def person_add(
    ctx: Ctx,
    person_id: str,
    name: str,
    badges: tuple[str, ...],
    staff: bool,
    email: str | None,
) -> None:
    row = checked_person(person_id, name, email, badges, staff)
    with ctx.opened() as store:
        store.add_person(row.id, row.name, row.badges, staff=staff, email=row.email, now=now_utc())
    click.echo(f"person {row.id} added")


@person.command("badge")
@click.argument("person_id")
@click.argument("uid", callback=badge_uids)
@pass_ctx
def person_badge(ctx: Ctx, person_id: str, uid: str) -> None:
    """Give PERSON_ID another badge, e.g. a replacement for a lost one, or a revoked badge
    again (to them or to someone else; the revoked registration stays in the history)."""
    with ctx.opened() as store:
        store.add_badge(person_id, uid, now=now_utc())
    click.echo(f"badge {uid} added to {person_id}")


@person.command("revoke-badge")
@click.argument("uid", callback=badge_uids)
@pass_ctx
def person_revoke_badge(ctx: Ctx, uid: str) -> None:
    """Stop a lost or stolen badge from working at any kiosk."""
    with ctx.opened() as store:
        owner, newly = store.revoke_badge(uid, now=now_utc())
    click.echo(f"badge {uid} of {owner} {'revoked' if newly else 'was revoked already'}")
