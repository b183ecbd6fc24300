"""``person pin set|clear``: the door PIN a staff member types at a kiosk after their badge.

The PIN is read from the terminal (hidden, twice) or standard input, never from the command
line, where the shell's history and the audit log would keep it; only its hash is stored.
"""

from __future__ import annotations

import sys

import click

from hub.cli.context import Ctx, pass_ctx
from wire.pins import MAX_DIGITS, MIN_DIGITS, PinFormatError, check_pin, hash_pin


@click.group("pin")
def pin() -> None:
    """Staff door PINs: with a kiosk's [door] require_pin, a staff badge opens the door only
    with its owner's PIN."""


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        typed = sys.stdin.readline().strip()
    else:
        typed = click.prompt(
            f"New PIN ({MIN_DIGITS} to {MAX_DIGITS} digits)",
            hide_input=True,
            confirmation_prompt=True,
        ).strip()
    try:
        return check_pin(typed)
    except PinFormatError as exc:
        raise click.UsageError(str(exc)) from exc


@pin.command("set")
@click.argument("person_id")
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input.")
@pass_ctx
def pin_set(ctx: Ctx, person_id: str, pin_stdin: bool) -> None:
    """Set (or change) PERSON_ID's door PIN; kiosks have it at their next replica update."""
    pin_hash = hash_pin(_read_pin(pin_stdin))
    ctx.change(lambda store, at, by: store.set_pin(person_id, pin_hash, at, by))
    click.echo(f"PIN set for {person_id}")


@pin.command("clear")
@click.argument("person_id")
@pass_ctx
def pin_clear(ctx: Ctx, person_id: str) -> None:
    """Remove PERSON_ID's door PIN: where a PIN is required, their badge no longer opens the
    door until a new one is set."""
    had = ctx.change(lambda store, at, by: store.clear_pin(person_id, at, by))
    click.echo(f"PIN cleared for {person_id}" if had else f"{person_id} had no PIN")
