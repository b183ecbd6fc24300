"""Writing sheets: the one CSV writer of the hub, with the one guard against cells a
spreadsheet would run as formulas (CSV injection)."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import TYPE_CHECKING, TypeAlias

from pydantic import BaseModel

from hub.domain.lifecycle import Status
from hub.sheets.cells import CENT
from hub.sheets.rows import ASSET_COLUMNS, PEOPLE_COLUMNS
from hub.sheets.vendors import CUSTOM

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# a row to write: a mapping of column to value, a sheet's row, or a store's record
Record: TypeAlias = "Mapping[str, object] | BaseModel | DataclassInstance"

# Characters that make Excel or LibreOffice read a cell as a formula.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def guard(cell: str) -> str:
    """A leading quote keeps a spreadsheet from running the cell as a formula."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def unguard(cell: str) -> str:
    """Undoes the quote ``guard`` put before a formula-like value."""
    return cell[1:] if _FORMULA_START.match(cell) and cell.startswith("'") else cell


def export_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of any table: header, then each row's cells written and guarded."""
    return "".join(table_pieces(columns, rows))


def table_pieces(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    text: Callable[[object], str] | None = None,
    every: int = 500,
) -> Iterator[str]:
    """CSV text of a table in pieces of ``every`` rows, so a download can be sent as the rows
    are read: the header, then each row's cells as ``text`` writes them (``cell_text``
    unless given), every cell guarded."""
    as_text = text or cell_text
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([guard(column) for column in columns])
    for n, row in enumerate(rows, 1):
        writer.writerow([guard(as_text(value)) for value in row])
        if n % every == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def asset_columns(own_fields: Iterable[str] = ()) -> tuple[str, ...]:
    """The asset export's header: this hub's columns, then ``field:<name>`` for each own field."""
    return (*ASSET_COLUMNS, *(f"{CUSTOM}{name}" for name in own_fields))


def export_assets(rows: Iterable[Record], own_fields: Sequence[str] = ()) -> str:
    """CSV text of assets that the import reads back unchanged: this hub's columns, then one
    column per own field (``fields`` of each row, a mapping of name to text).

    A status of ``out`` is written blank: an import cannot set it, and blank keeps it.
    """
    columns = asset_columns(own_fields)

    def cells(record: Mapping[str, object]) -> list[str]:
        own = record.get("fields") or {}
        assert isinstance(own, Mapping)
        return [_asset_cell(c, record.get(c)) for c in ASSET_COLUMNS] + [
            cell_text(own.get(name)) for name in own_fields
        ]

    return export_table(columns, (cells(r) for r in _records(rows)))


def export_people(rows: Iterable[Record]) -> str:
    """CSV text of people, in PEOPLE_COLUMNS order; ``badges`` is a list of UIDs."""
    return export_table(
        PEOPLE_COLUMNS, ([cell_text(r.get(c)) for c in PEOPLE_COLUMNS] for r in _records(rows))
    )


def _records(rows: Iterable[Record]) -> Iterable[Mapping[str, object]]:
    return (_mapping(row) for row in rows)


def _mapping(row: Record) -> Mapping[str, object]:
    if isinstance(row, BaseModel):
        return row.model_dump()
    if isinstance(row, Mapping):
        return row
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}


def _asset_cell(column: str, value: object) -> str:
    if column in ("value", "cost"):
        return money_text(value)
    if column == "status" and cell_text(value).lower() == Status.OUT:
        return ""
    return cell_text(value)


def money_text(value: object) -> str:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if amount.is_finite():
                return format(amount.quantize(CENT, rounding=ROUND_HALF_UP), "f")
        except InvalidOperation:
            pass  # too large to quantize: written as it is
    return cell_text(value)


def cell_text(value: object) -> str:
    """A value as a spreadsheet cell: yes/no, ISO dates, plain decimals, lists joined by ';'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return cell_text(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")  # never 1E+3
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # the shortest text that reads back the same
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return ";".join(sorted(cell_text(item) for item in value))
    if isinstance(value, list | tuple):
        return ";".join(cell_text(item) for item in value)
    return str(value)
