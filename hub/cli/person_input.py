"""What the person commands accept: the same rules as a people sheet, so whoever the CLI
registers, the people export writes a file that imports back."""

from __future__ import annotations

from typing import Any

import click
from pydantic import ValidationError

from hub.registry_csv import PersonRow
from wire.badges import BadUid, normal_uid


def badge_uids(ctx: click.Context, param: click.Parameter, value: str | tuple[str, ...]) -> Any:
    """A click callback: the badge UID(s) given, by the one rule (``wire.badges``), read as
    ``normal_uid`` reads them; a usage error naming the rule otherwise."""
    try:
        if isinstance(value, tuple):
            return tuple(normal_uid(v) for v in value)
        return normal_uid(value)
    except BadUid as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def checked_person(
    person_id: str, name: str, email: str | None, badges: tuple[str, ...], staff: bool
) -> PersonRow:
    """The person as a people sheet's row would hold them, or a usage error naming each
    problem (the same words an import of that row would give)."""
    try:
        return PersonRow.model_validate(
            {"id": person_id, "name": name, "email": email, "badges": list(badges), "staff": staff}
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise click.UsageError(problems) from None
