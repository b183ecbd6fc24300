"""Registry commands: CSV round trips, labels, lifecycle, maintenance, valuation, blocks."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from hub import sheet_import
from hub.cli.context import Ctx, actor, now_utc, pass_ctx
from hub.cli.files import write_file
from hub.domain import lifecycle
from hub.domain.valuation import Method
from hub.labelsheet import STOCKS, Label, label_sheet
from hub.sheets import (
    ASSETS,
    PEOPLE,
    CsvImportError,
    Kind,
    export_assets,
    export_people,
    export_table,
    parse_overrides,
)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise click.FileError(str(path), exc.strerror) from exc


def _write(text: str, out: Path | None) -> None:
    if out is None:
        click.echo(text, nl=False)
    else:
        write_file(out, text, encoding="utf-8-sig")  # with a BOM, so Excel reads accents right
        click.echo(f"wrote {out}", err=True)


def _import_failed(exc: CsvImportError) -> None:
    click.echo(f"nothing imported: {len(exc.errors)} problem(s)", err=True)
    for error in exc.errors:
        click.echo(f"  {error}", err=True)
    sys.exit(2)


def _pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    try:
        return parse_overrides(pairs)
    except CsvImportError as exc:
        raise click.UsageError("; ".join(e.message for e in exc.errors)) from None


def _import(
    ctx: Ctx,
    csv_file: Path,
    kind: Kind[Any],
    maps: tuple[str, ...] = (),
    statuses: tuple[str, ...] = (),
    dry_run: bool = False,
) -> None:
    """Read a sheet and store it whole, or report every problem and store nothing; with
    ``dry_run``, say what it would do."""
    data = _read(csv_file)
    overrides, status_map = _pairs(maps), _pairs(statuses)
    try:
        with ctx.opened() as store:
            report = sheet_import.run(
                store,
                kind,
                data,
                now_utc(),
                actor(),
                overrides=overrides,
                statuses=status_map,
                dry_run=dry_run,
            )
            ctx.changed_nothing = not report.stored
    except CsvImportError as exc:
        _import_failed(exc)
        return
    for line in report_lines(report):
        click.echo(line)
    if report.refused:
        click.echo(f"nothing imported: {len(report.refused)} problem(s)", err=True)
        for error in report.refused:
            click.echo(f"  {error}", err=True)
    if report.refused and not dry_run:
        sys.exit(2)


def report_lines(report: sheet_import.Report) -> list[str]:
    """The import's report as the command prints it: the columns, each row, the counts."""
    out = [f"read as a {report.mapping.source.name} export:"]
    out += [f"  {c.header} -> {c.shown}" for c in report.mapping.columns if c.header.strip()]
    for done in report.added:
        out.append(f"line {done.line}: {done.key} added")
    for done in report.changed:
        out.append(f"line {done.line}: {done.key} changed ({', '.join(done.fields)})")
    out += [f"note: {note}" for note in report.notes]
    counts = report.summary()
    if report.dry_run:
        out.append(f"dry run, nothing stored: {counts}")
    elif report.stored:
        out.append(f"{report.what} imported: {counts}")
    return out


@click.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="'THEIR COLUMN=FIELD'",
    help="Read a column as one of ours (code, name, category, model...), as an own field "
    "('field:Name') or not at all ('-'). Repeat for more columns.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="'THEIR STATUS=OURS'",
    help="Read a status as available, maintenance, retired or keep. Repeat for more.",
)
@click.option(
    "--dry-run", is_flag=True, help="Say what would be added, changed, refused; store nothing."
)
@pass_ctx
def asset_import(
    ctx: Ctx, csv_file: Path, maps: tuple[str, ...], statuses: tuple[str, ...], dry_run: bool
) -> None:
    """Add or update assets from a CSV file: this hub's export, or a Snipe-IT, Cheqroom or
    Shelf export as it comes; all rows or none."""
    _import(ctx, csv_file, ASSETS, maps, statuses, dry_run)


@click.command("export")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@pass_ctx
def asset_export(ctx: Ctx, out: Path | None) -> None:
    """Every asset as CSV, to edit in a spreadsheet and import again."""
    with ctx.opened() as store:
        _write(export_assets(store.asset_rows(), store.asset_field_names()), out)


@click.command("labels")
@click.argument("codes", nargs=-1)
@click.option("--category", default=None, help="Every asset of this category.")
@click.option("--stock", type=click.Choice(sorted(STOCKS)), default="L7160", show_default=True)
@click.option("--url-base", default=None, help="Labels hold a link to the asset's page here.")
@click.option("--start-at", type=click.IntRange(min=0), default=0, help="Skip used labels.")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), required=True)
@pass_ctx
def asset_labels(
    ctx: Ctx,
    codes: tuple[str, ...],
    category: str | None,
    stock: str,
    url_base: str | None,
    start_at: int,
    out: Path,
) -> None:
    """A printable PDF sheet of QR labels for CODES (or a whole category)."""
    with ctx.opened() as store:
        rows = store.asset_rows()
    wanted = {c.upper() for c in codes}
    labels = [
        Label(r.code, r.name)
        for r in rows
        if r.code in wanted or (category is not None and r.category == category)
    ]
    missing = wanted - {label.code for label in labels}
    if missing:
        raise click.UsageError(f"no such asset: {', '.join(sorted(missing))}")
    if not labels:
        raise click.UsageError("name asset codes or a --category")
    write_file(out, label_sheet(labels, stock, url_base=url_base, start_at=start_at))
    click.echo(f"{len(labels)} labels on {stock}: {out}")


def _lifecycle(ctx: Ctx, code: str, action: lifecycle.Action, reason: str | None) -> None:
    to = ctx.change(lambda store, at, by: store.move_asset(code.upper(), action, at, by, reason))
    click.echo(f"{code.upper()}: {to.value}")


@click.command("retire")
@click.argument("code")
@click.option("--reason", default=None)
@pass_ctx
def asset_retire(ctx: Ctx, code: str, reason: str | None) -> None:
    """Take an item out of service for good (it can still be disposed of later)."""
    _lifecycle(ctx, code, lifecycle.Action.RETIRE, reason)


@click.command("dispose")
@click.argument("code")
@click.option("--reason", required=True, help="Sold, scrapped, stolen...")
@pass_ctx
def asset_dispose(ctx: Ctx, code: str, reason: str) -> None:
    _lifecycle(ctx, code, lifecycle.Action.DISPOSE, reason)


@click.command("in-service")
@click.argument("code")
@pass_ctx
def asset_in_service(ctx: Ctx, code: str) -> None:
    """Lend an item again after maintenance or retirement."""
    _lifecycle(ctx, code, lifecycle.Action.RETURN_TO_SERVICE, None)


@click.command("maintenance")
@click.argument("code")
@click.option("--reason", required=True, help="What is wrong; it goes on the ticket.")
@pass_ctx
def asset_maintenance(ctx: Ctx, code: str, reason: str) -> None:
    """Hold an item back for repair with a maintenance ticket."""
    ctx.change(lambda store, at, by: store.report_problem(code.upper(), reason, at, by))
    click.echo(f"{code.upper()}: maintenance")


@click.group()
def ticket() -> None:
    """Maintenance tickets: damage and missing parts from kiosks, service due, manual."""


@ticket.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed tickets too.")
@pass_ctx
def ticket_list(ctx: Ctx, show_all: bool) -> None:
    with ctx.opened() as store:
        found = store.tickets(open_only=not show_all)
    for t in found:
        state = f"{t.outcome} {t.closed_at:%Y-%m-%d}" if t.closed_at else "open"
        who = f" ({t.person})" if t.person else ""
        click.echo(f"{t.id}\t{t.asset}\t{t.kind}{who}\t{state}\t{t.detail or ''}")
    if not found:  # on stderr, so a script reading the rows still reads none
        none = "no tickets" if show_all else "no open tickets (--all shows closed ones)"
        click.echo(none, err=True)


@ticket.command("close")
@click.argument("ticket_id", type=int)
@click.option("--outcome", type=click.Choice(["repaired", "no_fault", "retired"]), required=True)
@click.option("--cost", type=Decimal, default=None)
@click.option("--note", default=None)
@pass_ctx
def ticket_close(
    ctx: Ctx, ticket_id: int, outcome: str, cost: Decimal | None, note: str | None
) -> None:
    """Close a ticket; the last one closed puts a repaired item back in service."""
    ctx.change(lambda store, at, by: store.close_ticket(ticket_id, outcome, at, by, cost, note))
    click.echo(f"ticket {ticket_id}: {outcome}")


@click.command("service-rule")
@click.argument("category")
@click.option("--every-days", type=click.IntRange(min=1), default=None)
@click.option("--every-checkouts", type=click.IntRange(min=1), default=None)
@pass_ctx
def service_rule(
    ctx: Ctx, category: str, every_days: int | None, every_checkouts: int | None
) -> None:
    """Preventive maintenance: hold items of CATEGORY back for service this often."""
    with ctx.opened() as store:
        store.set_service_rule(category, every_days, every_checkouts)
    click.echo(
        f"{category}: service every {every_days or '-'} days / {every_checkouts or '-'} checkouts"
    )


@click.command("depreciation")
@click.argument("category")
@click.argument("method", type=click.Choice([m.value for m in Method]))
@click.argument("life_years", type=click.IntRange(min=1))
@click.option("--salvage-pct", type=click.IntRange(0, 99), default=0)
@pass_ctx
def depreciation(ctx: Ctx, category: str, method: str, life_years: int, salvage_pct: int) -> None:
    """How items of CATEGORY lose value, for book values and the valuation report."""
    with ctx.opened() as store:
        store.set_depreciation(category, Method(method), life_years, salvage_pct)
    click.echo(f"{category}: {method} over {life_years} years to {salvage_pct}%")


VALUATION_COLUMNS = ("code", "name", "category", "acquired", "cost", "book_value")


@click.command("valuation")
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Default: today.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
@pass_ctx
def valuation(ctx: Ctx, on: datetime | None, output: Path | None) -> None:
    """Book value on a date of every asset the cage owned then, as CSV, with the total last
    (an item bought after that date is left out)."""
    day = on.date() if on else date.today()
    total = Decimal(0)
    with ctx.opened() as store:
        rows: list[list[object]] = []
        for v in store.valuation(day):
            total += v.value or 0
            rows.append([v.code, v.name, v.category, v.acquired, v.cost, v.value])
    rows.append(["TOTAL", None, None, None, None, total])
    _write(export_table(VALUATION_COLUMNS, rows), output)


@click.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--map", "maps", multiple=True, metavar="'THEIR COLUMN=FIELD'")
@click.option("--dry-run", is_flag=True, help="Say what would be added, changed, refused.")
@pass_ctx
def person_import(ctx: Ctx, csv_file: Path, maps: tuple[str, ...], dry_run: bool) -> None:
    """Add or update people and their badges from a CSV file; all or nothing."""
    _import(ctx, csv_file, PEOPLE, maps, dry_run=dry_run)


@click.command("export")
@click.option("-o", "--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@pass_ctx
def person_export(ctx: Ctx, out: Path | None) -> None:
    with ctx.opened() as store:
        _write(export_people(store.person_rows()), out)


@click.command("block")
@click.argument("person_id")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Default: until unblocked.")
@click.option("--reason", required=True, help="Shown to the person at the kiosk.")
@pass_ctx
def person_block(ctx: Ctx, person_id: str, days: int | None, reason: str) -> None:
    """Stop PERSON_ID borrowing (returns are still taken)."""
    now = datetime.now(UTC)
    until = now + timedelta(days=days) if days else None
    ctx.change(lambda store, at, by: store.block_person(person_id, until, reason, now, by))
    click.echo(f"{person_id} blocked" + (f" until {until:%Y-%m-%d %H:%M} UTC" if until else ""))


@click.command("unblock")
@click.argument("person_id")
@pass_ctx
def person_unblock(ctx: Ctx, person_id: str) -> None:
    ctx.change(lambda store, at, by: store.unblock_person(person_id, at, by))
    click.echo(f"{person_id} may borrow again")


COMMANDS = (ticket, service_rule, depreciation, valuation)
ASSET_COMMANDS = (
    asset_import,
    asset_export,
    asset_labels,
    asset_retire,
    asset_dispose,
    asset_in_service,
    asset_maintenance,
)
PERSON_COMMANDS = (person_import, person_export, person_block, person_unblock)
