"""Access groups from a shell: which groups a category is restricted to, and who is in which
(a registrar's enrolment list imported as a CSV file)."""

from __future__ import annotations

from pathlib import Path

import click

from hub.cli.context import Ctx, actor, now_utc, pass_ctx
from hub.cli.registry import _import_failed, _read
from hub.sheets.groups import read_groups
from hub.sheets.problems import CsvImportError
from hub.store.access_groups import CategoryRules


@click.group()
def category() -> None:
    """Categories: loan periods, trainings and access groups."""


def _period(c: CategoryRules) -> str:
    return "next opening" if c.period == "next_opening" else f"{c.amount} {c.period}"


@category.command("list")
@pass_ctx
def category_list(ctx: Ctx) -> None:
    """Each category with its loan period, training, access groups and number of items."""
    with ctx.opened() as store:
        found = store.category_rules()
    if not found:
        click.echo("no categories")
    for c in found:
        groups = "; ".join(c.groups) or "everyone"
        click.echo(f"{c.name}\t{_period(c)}\t{c.requires or '-'}\t{groups}\t{c.items} items")


@category.command("groups")
@click.argument("name")
@click.argument("groups", nargs=-1)
@click.option("--open", "open_", is_flag=True, help="Open the category to everyone again.")
@pass_ctx
def category_groups(ctx: Ctx, name: str, groups: tuple[str, ...], open_: bool) -> None:
    """Restrict category NAME to people in any of GROUPS (courses, departments); kiosks refuse
    its items to anyone else. Without GROUPS, show its groups."""
    if open_ and groups:
        raise click.UsageError("give GROUPS or --open, not both")
    with ctx.opened() as store:
        if not groups and not open_:
            ctx.changed_nothing = True
            rules = {c.name: c for c in store.category_rules()}
            if name not in rules:
                raise click.UsageError(f"no category {name!r}")
            click.echo(f"{name}: {'; '.join(rules[name].groups) or 'open to everyone'}")
            return
        kept = store.set_category_groups(name, groups, now_utc(), actor())
    click.echo(f"{name}: {'only for ' + '; '.join(kept) if kept else 'open to everyone'}")


@click.group("groups")
def person_groups() -> None:
    """The access groups people are in."""


@person_groups.command("show")
@click.argument("person_id")
@pass_ctx
def person_groups_show(ctx: Ctx, person_id: str) -> None:
    """A person's groups, from the registry and from the identity provider's last sign-in."""
    with ctx.opened() as store:
        ctx.changed_nothing = True
        found = store.person_groups(person_id)
    click.echo(f"registry: {'; '.join(found.registry) or '-'}")
    click.echo(f"identity provider: {'; '.join(found.provider) or '-'}")


@person_groups.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@pass_ctx
def person_groups_import(ctx: Ctx, csv_file: Path) -> None:
    """Set people's groups from a CSV file with columns id and groups (several separated by
    ';', or one row per group): each person named gets exactly the file's groups; others, and
    groups from the identity provider, stay. All or nothing."""
    try:
        found = read_groups(_read(csv_file))
    except CsvImportError as exc:
        _import_failed(exc)
        return
    with ctx.opened() as store:
        changed = store.import_groups(found, now_utc(), actor())
    click.echo(f"groups of {len(found)} people read: {changed} changed")
