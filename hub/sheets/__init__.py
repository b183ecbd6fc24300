"""Spreadsheets in and out of the registers: this hub's own CSV round trip, and other systems'
exports (Snipe-IT, Cheqroom, Shelf) read as they come.

Pure: works on text and plain records, never on the database. ``cells`` reads one value,
``rows`` checks one row, ``vendors`` knows other systems' names, ``mapping`` decides where each
column goes, ``read`` reads a file, ``write`` is the one CSV writer.
"""

from __future__ import annotations

from hub.sheets.mapping import parse_overrides
from hub.sheets.problems import CsvImportError, RowError
from hub.sheets.read import ASSETS, PEOPLE, Kind, Located, Sheet, parse, read
from hub.sheets.rows import ASSET_COLUMNS, PEOPLE_COLUMNS, AssetRow, PersonRow
from hub.sheets.write import export_assets, export_people, export_table

__all__ = [
    "ASSETS",
    "ASSET_COLUMNS",
    "PEOPLE",
    "PEOPLE_COLUMNS",
    "AssetRow",
    "CsvImportError",
    "Kind",
    "Located",
    "PersonRow",
    "RowError",
    "Sheet",
    "asset_changes",
    "export_assets",
    "export_people",
    "export_table",
    "parse_assets",
    "parse_overrides",
    "parse_people",
    "person_changes",
    "read",
]


def parse_assets(text: str | bytes, max_rows: int | None = None) -> list[AssetRow]:
    """Every asset row of a CSV file, or CsvImportError listing all of the file's problems.

    A ``kit`` may name a code the file does not hold: the database may know it.
    """
    return parse(text, ASSETS, max_rows)


def parse_people(text: str | bytes, max_rows: int | None = None) -> list[PersonRow]:
    """Every person row of a CSV file, or CsvImportError listing all of the file's problems."""
    return parse(text, PEOPLE, max_rows)


def asset_changes(data: str | bytes, max_rows: int | None = None) -> list[dict[str, object]]:
    """What an asset sheet changes: for each row, only the columns the file has (a blank cell
    clears one); CsvImportError lists every problem."""
    return [row.model_dump(exclude_unset=True) for row in parse_assets(data, max_rows)]


def person_changes(data: str | bytes, max_rows: int | None = None) -> list[dict[str, object]]:
    """What a people sheet changes, as ``asset_changes``."""
    return [row.model_dump(exclude_unset=True) for row in parse_people(data, max_rows)]
