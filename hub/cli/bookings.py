"""``booking add|list|cancel``, in the cage's time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click

from hub.cli.context import Ctx, actor, now_utc, pass_ctx
from hub.domain.bookings import from_local
from hub.domain.bookings import local as booking_local


@click.group()
def booking() -> None:
    """Reservations: inside its window only the booker may take the item."""


@booking.command("add")
@click.argument("asset")
@click.argument("person")
@click.argument("starts", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
@click.argument("ends", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]))
@pass_ctx
def booking_add(ctx: Ctx, asset: str, person: str, starts: datetime, ends: datetime) -> None:
    """Book ASSET for PERSON from STARTS to ENDS, in the cage's time zone ([hub] timezone),
    e.g. 2026-03-02T09:00."""
    tz = ZoneInfo(ctx.config.hub.timezone)
    start_at, end_at = from_local(starts, tz), from_local(ends, tz)
    with ctx.opened() as store:
        number = store.add_booking(
            asset.upper(), person, start_at, end_at, now_utc(), tz, actor=actor()
        )
    click.echo(
        f"booking {number}: {asset.upper()} for {person}, "
        f"{booking_local(start_at, tz)} to {booking_local(end_at, tz)}"
    )


@booking.command("list")
@click.option("--days", type=click.IntRange(1, 36500), default=14, show_default=True)
@pass_ctx
def booking_list(ctx: Ctx, days: int) -> None:
    """Bookings from now on for DAYS days, and what became of each (booked, picked up,
    no-show, cancelled), times in the cage's time zone."""
    tz = ZoneInfo(ctx.config.hub.timezone)
    now = now_utc()
    with ctx.opened() as store:
        rows = store.bookings_between(now, now + timedelta(days=days), ended=True)
    if not rows:
        click.echo(f"no bookings in the next {days} days")
    for b in rows:
        click.echo(
            f"{b.id}\t{b.asset}\t{b.person}\t{booking_local(b.starts, tz)}\t"
            f"{booking_local(b.ends, tz)}\t{b.state}"
        )


@booking.command("cancel")
@click.argument("booking_id", type=int)
@pass_ctx
def booking_cancel(ctx: Ctx, booking_id: int) -> None:
    with ctx.opened() as store:
        store.cancel_booking(booking_id, now_utc(), actor=actor())
    click.echo(f"booking {booking_id} cancelled")
