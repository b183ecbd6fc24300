"""Reading a sheet: the file's text, its columns mapped, each row checked on its own.

File-wide problems (not UTF-8, an unreadable header, a broken quote, too many rows) raise
``CsvImportError``; a row's problems refuse that row only and are reported with it, so a
preview can say what would be added, changed and refused in one pass.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from hub.sheets import cells, vendors
from hub.sheets.mapping import ColumnMap, plan
from hub.sheets.problems import CsvImportError, RowError
from hub.sheets.rows import ASSET_COLUMNS, PEOPLE_COLUMNS, AssetRow, PersonRow
from hub.sheets.write import unguard

Row = TypeVar("Row", bound=BaseModel)
_DATE_FIELDS = ("acquired",)
_PARENTHESES = re.compile(r"\s*\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Kind(Generic[Row]):
    """A register a sheet fills: its fields, which are required, its key and where names of
    other systems' exports are looked up."""

    what: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str  # the column that must be unique within a file
    model: type[Row]
    sources: tuple[vendors.Vendor, ...]
    own_fields: bool


ASSETS = Kind(
    what="assets",
    columns=ASSET_COLUMNS,
    required=("code", "name", "category"),
    key="code",
    model=AssetRow,
    sources=vendors.ASSET_SOURCES,
    own_fields=True,
)
PEOPLE = Kind(
    what="people",
    columns=PEOPLE_COLUMNS,
    required=("id", "name"),
    key="id",
    model=PersonRow,
    sources=vendors.PEOPLE_SOURCES,
    own_fields=False,
)


@dataclass(frozen=True)
class Located(Generic[Row]):
    """A row read whole, with the line it starts on."""

    line: int
    row: Row


@dataclass
class Sheet(Generic[Row]):
    """A file read: how its columns map, its good rows, its refused rows and its notes."""

    mapping: ColumnMap
    rows: list[Located[Row]] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)  # imported, but worth a look
    samples: dict[int, str] = field(default_factory=dict)  # column -> its first value


def read(
    data: str | bytes,
    kind: Kind[Row],
    overrides: Mapping[str, str] | None = None,
    statuses: Mapping[str, str] | None = None,
    max_rows: int | None = None,
) -> Sheet[Row]:
    """A sheet read against ``kind``, its columns mapped by what the header looks like and
    ``overrides`` (``{"Their Column": "our_field"}``); ``statuses`` adds to or corrects the
    detected system's status table (``{"Their Status": "maintenance"}``)."""
    decoded = decode(data)
    header, lines = _lines(decoded, kind, max_rows)
    header_line, names = header
    source = vendors.detect(names, kind.sources)
    mapping = plan(
        names,
        source,
        kind.columns,
        kind.required,
        overrides or {},
        statuses or {},
        header_line,
        own_fields=kind.own_fields,
    )
    day_first = cells.day_order(
        cell
        for column in mapping.columns
        if column.target in _DATE_FIELDS
        for _, row in lines
        if column.index < len(row)
        for cell in (row[column.index],)
    )
    sheet: Sheet[Row] = Sheet(mapping, refused=list(mapping.problems))
    for column in mapping.columns:  # what a column holds helps a manager say where it goes
        cells_of = (r[column.index] for _, r in lines if column.index < len(r))
        sample = next((cell.strip() for cell in cells_of if cell.strip()), "")
        sheet.samples[column.index] = sample[:60]
    first_line: dict[str, int] = {}
    key_column = mapping.target(kind.key)
    for line, row in lines:
        # Checked apart from the row's validation so a duplicate shows even on a faulty row.
        key = _key(row, key_column.index if key_column else None, kind)
        if key is not None and key in first_line:
            sheet.refused.append(
                RowError(line, kind.key, f"{key} is already on line {first_line[key]}")
            )
        elif key is not None:
            first_line[key] = line
        found = _row(row, line, mapping, kind, day_first, sheet.notes)
        if sheet.refused and sheet.refused[-1].line == line and not isinstance(found, list):
            continue  # a repeated key: refused, though the row itself is sound
        if isinstance(found, list):
            sheet.refused.extend(found)
        else:
            sheet.rows.append(Located(line, found))
    if kind.model is PersonRow:
        _shared_badges(sheet)
    return sheet


def decode(text: str | bytes) -> str:
    if isinstance(text, str):
        return text.removeprefix("\ufeff")
    body = text.removeprefix(codecs.BOM_UTF8)  # as utf-8-sig does, but keeps offsets in body
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise CsvImportError(
            [
                RowError(
                    line,
                    None,
                    "the file is not UTF-8 text (the first character it cannot read is on this "
                    "line). Save it as UTF-8: in Excel, Save As > 'CSV UTF-8 (Comma delimited)'; "
                    "in LibreOffice, Save As > Text CSV, tick 'Edit filter settings' and choose "
                    "the character set 'Unicode (UTF-8)'",
                )
            ]
        ) from None


def _delimiter(text: str, kind: Kind[Row]) -> str:
    """',' or ';', whichever splits the header into more column names some source knows.

    The names are known, so this is surer than csv.Sniffer, which guesses from how often
    characters recur and is fooled by values such as 1,234.50 in a ';' file.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    known = {k for source in kind.sources for k in source.columns}
    best, best_score = ",", -1
    for candidate in (",", ";"):
        split = next(csv.reader([header], delimiter=candidate), [])
        score = sum(vendors.key(cell) in known for cell in split)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _lines(
    text: str, kind: Kind[Row], max_rows: int | None
) -> tuple[tuple[int, list[str]], list[tuple[int, list[str]]]]:
    """The header (its line and names) and each non-blank row with the line it starts on."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text, kind), strict=True
    )
    header: tuple[int, list[str]] | None = None
    rows: list[tuple[int, list[str]]] = []
    end = 0
    while True:
        start = end + 1
        try:
            found = next(reader, None)
        except csv.Error as exc:
            raise CsvImportError(
                [
                    RowError(
                        start,
                        None,
                        f"the CSV cannot be read from here on ({exc}); "
                        'a value opened with a double quote " may lack its closing quote',
                    )
                ]
            ) from None
        end = reader.line_num
        if found is None:
            break
        if not any(cell.strip() for cell in found):
            continue  # a blank line, or one of only delimiters
        if header is None:
            header = (start, [unguard(cell.strip()) for cell in found])
            continue
        if max_rows is not None and len(rows) >= max_rows:
            raise CsvImportError([too_many(start, max_rows)])
        rows.append((start, found))
    if header is None:
        raise CsvImportError(
            [
                RowError(
                    1,
                    None,
                    f"the file is empty; its first line must name the columns, "
                    f"such as {','.join(kind.columns)}",
                )
            ]
        )
    return header, rows


def too_many(line: int, max_rows: int) -> RowError:
    return RowError(
        line,
        None,
        f"the file has more than {max_rows:,} rows, the most one import takes here; "
        "split it into smaller files (or import it with the cagekeeper-hub command)",
    )


def _cell(raw: str) -> str | None:
    # a browser sends a preview's text back with CRLF line ends: a cell reads the same either way
    value = unguard(raw.strip()).replace("\r\n", "\n")
    return value if value.strip() else None


def _key(row: list[str], index: int | None, kind: Kind[Row]) -> str | None:
    if index is None or index >= len(row):
        return None
    value = _cell(row[index])
    try:
        return cells.asset_code(value) if kind.key == "code" else value
    except PydanticCustomError:
        return None  # the row's validation reports it


def _row(
    row: list[str],
    line: int,
    mapping: ColumnMap,
    kind: Kind[Row],
    day_first: bool | None,
    notes: list[RowError],
) -> Row | list[RowError]:
    used = max(index for index, cell in enumerate(row) if cell.strip()) + 1
    if used > len(mapping.columns):
        return [
            RowError(
                line,
                None,
                f"has {used} values but the header names {len(mapping.columns)} columns; "
                "a value may hold an unquoted delimiter",
            )
        ]
    record: dict[str, object] = {}
    own: dict[str, str | None] = {}
    errors: list[RowError] = []
    source = mapping.source.name
    for column in mapping.columns:
        raw = row[column.index] if column.index < len(row) else ""
        value = _cell(raw)
        if column.custom is not None:
            own[column.custom] = value
        elif column.target == vendors.HOLDER:
            if value:
                notes.append(
                    RowError(
                        line,
                        column.header,
                        f"with {value} in {source}: this hub learns who has an item from a "
                        "checkout at a kiosk or the desk, so it is not recorded as out",
                    )
                )
        elif column.target == "status" and (source != "Cagekeeper" or mapping.statuses):
            status = _status(value, mapping, line, column.header, errors, notes)
            record["status"] = status
        elif column.target != vendors.IGNORE:
            record[column.target] = value
        elif not column.header.strip() and raw.strip():
            errors.append(RowError(line, None, "a value stands in a column with no header"))
    if kind.own_fields and own:
        record["fields"] = own
    try:
        validated = kind.model.model_validate(record, context={cells.DAY_FIRST: day_first})
    except ValidationError as exc:
        errors.extend(_row_errors(exc, line, mapping))
        return errors
    return errors or validated


def _status(
    value: str | None,
    mapping: ColumnMap,
    line: int,
    header: str,
    errors: list[RowError],
    notes: list[RowError],
) -> str | None:
    """Another system's status in this hub's terms (None: keep the item's own)."""
    if value is None:
        return None
    written = value.strip().lower()
    aside = _PARENTHESES.search(written)  # "Ready to Deploy (Deployed)"
    if aside and aside.group(1).strip() in mapping.statuses:
        written = aside.group(1).strip()
    ours = mapping.statuses.get(written)
    if ours is None and aside:
        ours = mapping.statuses.get(_PARENTHESES.sub("", written))
    if ours is None and mapping.source.name == "Cagekeeper":
        return value  # this hub's own words, checked with the row
    if ours is None:
        known = ", ".join(sorted(mapping.statuses)) or "none"
        errors.append(
            RowError(
                line,
                header,
                f"status {value!r} is not one {mapping.source.name} uses here ({known}); "
                f"map it with --status '{value}=available' (or maintenance, retired, keep)",
            )
        )
        return None
    if ours == vendors.KEEP:
        notes.append(
            RowError(
                line,
                header,
                f"{value!r} in {mapping.source.name}: the status here is kept (available for a "
                "new item) until the item is checked out at a kiosk or the desk",
            )
        )
        return None
    return ours


def _row_errors(exc: ValidationError, line: int, mapping: ColumnMap) -> list[RowError]:
    errors = []
    for detail in exc.errors(include_url=False):
        loc = detail["loc"]
        field_name = str(loc[0]) if loc else None
        column = mapping.target(field_name) if field_name else None
        shown = field_name
        if column is not None and column.header != field_name:
            shown = f"{column.header} ({field_name})"
        message = detail["msg"]
        if detail["type"] == "missing":
            message = "is required"
        errors.append(RowError(line, shown, message))
    return errors


def parse(data: str | bytes, kind: Kind[Row], max_rows: int | None = None) -> list[Row]:
    """Every row, or CsvImportError listing every problem of the file (all or nothing)."""
    sheet = read(data, kind, max_rows=max_rows)
    if sheet.refused:
        raise CsvImportError(sheet.refused)
    return [located.row for located in sheet.rows]


def _shared_badges(sheet: Sheet[Row]) -> None:
    """A badge on two lines refuses the later one: a card opens one person's account."""
    first: dict[str, tuple[int, str]] = {}
    kept: list[Located[Row]] = []
    for located in sheet.rows:
        person = located.row
        assert isinstance(person, PersonRow)
        clash = next((uid for uid in person.badges if uid in first), None)
        if clash is not None:
            line, owner = first[clash]
            sheet.refused.append(
                RowError(
                    located.line, "badges", f"badge {clash} is already on line {line} ({owner})"
                )
            )
            continue
        for uid in person.badges:
            first[uid] = (located.line, person.id)
        kept.append(located)
    sheet.rows = kept
