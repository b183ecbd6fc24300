"""CSV round trip of the asset and people registers, for a manager who edits them in a spreadsheet.

Pure: works on text and plain records, never on the database. ``parse_*`` either returns every
row of a file or raises one ``CsvImportError`` holding every problem it found, so a caller can
import all-or-nothing and the manager fixes a file in one pass instead of one error at a time.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from wire.badges import BadUid, normal_uid

ASSET_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "category",
    "serial",
    "home",
    "value",
    "photo_url",
    "notes",
    "status",
    "kit",
    "acquired",
    "cost",
    "supplier",
)
PEOPLE_COLUMNS: tuple[str, ...] = ("id", "name", "email", "badges", "groups", "staff")

# The wire contract's asset code: a code that starts with a symbol could never reach a kiosk.
_CODE = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")
_GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Characters that make Excel or LibreOffice read a cell as a formula (CSV injection).
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")
_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal("10000000000")  # the database keeps money as NUMERIC(12, 2)
_TRUE = frozenset({"yes", "true", "1"})
_FALSE = frozenset({"no", "false", "0"})
_STATUSES = ("available", "maintenance", "retired")
_GROUPS_LIMIT = 500  # the people.groups column holds them joined by ";"


@dataclass(frozen=True)
class RowError:
    """One problem of a file, where a manager will look for it: physical line, header is 1."""

    line: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.column is None else f"line {self.line}, {self.column}"
        return f"{where}: {self.message}"


class CsvImportError(Exception):
    """Every problem of a file at once, so nothing of it is imported until all are fixed."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: list[RowError] = sorted(errors, key=lambda error: error.line)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


# --- cell validators: each turns spreadsheet text (or an already typed value) into the field ---


def _invalid(message: str) -> PydanticCustomError:
    # Passed through the context so braces in a quoted value are not read as placeholders.
    return PydanticCustomError("invalid", "{message}", {"message": message})


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _text(limit: int, *, required: bool) -> Callable[[object], str | None]:
    def check(value: object) -> str | None:
        value = _blank_to_none(value)
        if value is None:
            if required:
                raise _invalid("is required")
            return None
        if not isinstance(value, str):
            raise _invalid("must be text")
        if len(value) > limit:
            raise _invalid(f"is {len(value)} characters long; at most {limit} fit")
        return value

    return check


def _asset_code(value: object) -> str | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid("must be text")
    code = value.upper()
    if not _CODE.fullmatch(code):
        raise _invalid(
            f"{_shown(value)} is not an asset code: 1-64 of A-Z, 0-9, '-', '.', '_', "
            "starting with a letter or digit"
        )
    return code


def _required_code(value: object) -> str:
    code = _asset_code(value)
    if code is None:
        raise _invalid("is required")
    return code


def _money(value: object) -> Decimal | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _invalid("must be a number such as 1234.50")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        negative = value.startswith("-")
        digits = value[1:].strip() if negative else value
        if _GROUPED_NUMBER.fullmatch(digits):
            digits = digits.replace(",", "")
        if not _PLAIN_NUMBER.fullmatch(digits):
            raise _invalid(
                f"must be a number such as 1234.50 or 1,234.50, not {_shown(value)} "
                "(a dot marks the decimals; no currency sign)"
            )
        amount = Decimal(digits)
        amount = -amount if negative else amount
    else:
        raise _invalid("must be a number such as 1234.50")
    if not amount.is_finite():
        raise _invalid("must be a number such as 1234.50")
    if amount < 0:
        raise _invalid("must not be negative")
    if amount >= _MONEY_LIMIT:  # checked first: quantizing a huge number raises
        raise _invalid("is too large (at most 9999999999.99)")
    if amount != amount.quantize(_CENT, rounding=ROUND_HALF_UP):
        raise _invalid("has more than 2 decimal places")
    return amount.quantize(_CENT)


def _iso_date(value: object) -> date | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _invalid(f"{_shown(value)} is not a day of the calendar") from None
    shown = _shown(value) if isinstance(value, str) else repr(value)
    raise _invalid(f"must be a date written YYYY-MM-DD, such as 2024-03-31, not {shown}")


def _status(value: object) -> str | None:
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise _invalid("must be text")
    status = value.lower()
    if status == "out":
        raise _invalid(
            "'out' is set by a checkout at a kiosk, not by an import; "
            "leave the status blank to keep the current one"
        )
    if status not in _STATUSES:
        raise _invalid(f"must be one of {', '.join(_STATUSES)} (or blank), not {_shown(value)}")
    return status


_optional_url_text = _text(500, required=False)
_required_id_text = _text(64, required=True)
_optional_email_text = _text(200, required=False)


def _photo_url(value: object) -> str | None:
    url = _optional_url_text(value)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or _has_space(url):
        raise _invalid(
            f"must be a web address starting with http:// or https://, not {_shown(url)}"
        )
    return url


def _has_space(text: str) -> bool:
    return any(char.isspace() for char in text)


def _person_id(value: object) -> str:
    ident = _required_id_text(value)
    if ident is None:  # not reached: a required text raises instead
        raise _invalid("is required")
    if _has_space(ident):
        raise _invalid(f"{_shown(ident)} must not contain spaces")
    return ident


def _email(value: object) -> str | None:
    email = _optional_email_text(value)
    if email is not None and not _EMAIL.fullmatch(email):
        raise _invalid(f"{_shown(email)} is not an email address")
    return email


def _pieces(value: object) -> list[str]:
    """Splits a ';'-separated cell; a list from code is taken as it is."""
    value = _blank_to_none(value)
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[object] = value.split(";")
    elif isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
    else:
        raise _invalid("must be a list separated by ';'")
    pieces = []
    for item in items:
        if not isinstance(item, str):
            raise _invalid("must be a list separated by ';'")
        if item.strip():
            pieces.append(item.strip())
    return pieces


def _badges(value: object) -> list[str]:
    badges: list[str] = []
    for piece in _pieces(value):
        try:
            uid = normal_uid(piece)
        except BadUid as exc:
            raise _invalid(str(exc)) from exc
        if uid in badges:
            raise _invalid(f"badge {uid} is listed twice")
        badges.append(uid)
    return badges


def _groups(value: object) -> list[str]:
    groups: list[str] = []
    for group in _pieces(value):
        if len(group) > 64:
            raise _invalid(f"group {_shown(group)} is longer than 64 characters")
        if group not in groups:  # a repeated group means nothing more; drop it quietly
            groups.append(group)
    if len(";".join(groups)) > _GROUPS_LIMIT:
        raise _invalid(f"the groups together are longer than {_GROUPS_LIMIT} characters")
    return groups


def _flag(value: object) -> bool | None:
    value = _blank_to_none(value)
    if value is None or isinstance(value, bool):
        return value
    word = str(value).lower() if isinstance(value, str | int) else None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise _invalid(f"must be yes or no (or blank), not {value!r}")


# --- row models ---

_ROW = ConfigDict(extra="forbid", frozen=True)


class AssetRow(BaseModel):
    """One line of an asset file; ``None`` means the cell was blank ("not set")."""

    model_config = _ROW

    code: Annotated[str, BeforeValidator(_required_code)]
    name: Annotated[str, BeforeValidator(_text(200, required=True))]
    category: Annotated[str, BeforeValidator(_text(64, required=True))]
    serial: Annotated[str | None, BeforeValidator(_text(100, required=False))] = None
    home: Annotated[str | None, BeforeValidator(_text(100, required=False))] = None
    value: Annotated[Decimal | None, BeforeValidator(_money)] = None
    photo_url: Annotated[str | None, BeforeValidator(_photo_url)] = None
    notes: Annotated[str | None, BeforeValidator(_text(10_000, required=False))] = None
    status: Annotated[
        Literal["available", "maintenance", "retired"] | None, BeforeValidator(_status)
    ] = None
    kit: Annotated[str | None, BeforeValidator(_asset_code)] = None
    acquired: Annotated[date | None, BeforeValidator(_iso_date)] = None
    cost: Annotated[Decimal | None, BeforeValidator(_money)] = None
    supplier: Annotated[str | None, BeforeValidator(_text(200, required=False))] = None

    @field_validator("kit")
    @classmethod
    def kit_is_another_asset(cls, kit: str | None, info: ValidationInfo) -> str | None:
        if kit is not None and kit == info.data.get("code"):
            raise _invalid(f"{kit} cannot be a piece of itself; name another asset's code")
        return kit


class PersonRow(BaseModel):
    """One line of a people file; ``None`` means the cell was blank ("not set")."""

    model_config = _ROW

    id: Annotated[str, BeforeValidator(_person_id)]
    name: Annotated[str, BeforeValidator(_text(200, required=True))]
    email: Annotated[str | None, BeforeValidator(_email)] = None
    badges: Annotated[list[str], BeforeValidator(_badges)] = Field(default_factory=list)
    groups: Annotated[list[str], BeforeValidator(_groups)] = Field(default_factory=list)
    staff: Annotated[bool | None, BeforeValidator(_flag)] = None


# --- parsing ---

Row = TypeVar("Row", bound=BaseModel)


@dataclass(frozen=True)
class _Kind:
    columns: tuple[str, ...]
    required: tuple[str, ...]
    key: str  # the column that must be unique within a file
    normalise_key: Callable[[object], str | None]


_ASSETS = _Kind(ASSET_COLUMNS, ("code", "name", "category"), "code", _asset_code)
_PEOPLE = _Kind(PEOPLE_COLUMNS, ("id", "name"), "id", _text(64, required=False))


def parse_assets(text: str | bytes, max_rows: int | None = None) -> list[AssetRow]:
    """Every asset row of a CSV file, or CsvImportError listing all of the file's problems
    (or, past ``max_rows`` rows, only that it has too many).

    A ``kit`` may name a code the file does not hold: the database may know it.
    """
    located, errors = _parse(text, _ASSETS, AssetRow, max_rows)
    if errors:
        raise CsvImportError(errors)
    return [row for _, row in located]


def parse_people(text: str | bytes, max_rows: int | None = None) -> list[PersonRow]:
    """Every person row of a CSV file, or CsvImportError listing all of the file's problems
    (or, past ``max_rows`` rows, only that it has too many)."""
    located, errors = _parse(text, _PEOPLE, PersonRow, max_rows)
    badge_lines: dict[str, tuple[int, str]] = {}
    for line, person in located:
        for uid in person.badges:
            if uid in badge_lines:
                first, owner = badge_lines[uid]
                errors.append(
                    RowError(line, "badges", f"badge {uid} is already on line {first} ({owner})")
                )
            else:
                badge_lines[uid] = (line, person.id)
    if errors:
        raise CsvImportError(errors)
    return [row for _, row in located]


def _decode(text: str | bytes) -> str:
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


def _column_name(cell: str) -> str:
    return "_".join(cell.strip().lower().split())


def _delimiter(text: str, kind: _Kind) -> str:
    """',' or ';', whichever splits the header into more of the known column names.

    The names are known, so this is surer than csv.Sniffer, which guesses from how often
    characters recur and is fooled by values such as 1,234.50 in a ';' file.
    """
    header = next((line for line in text.splitlines() if line.strip()), "")
    best, best_score = ",", -1
    for candidate in (",", ";"):
        cells = next(csv.reader([header], delimiter=candidate), [])
        score = sum(_column_name(cell) in kind.columns for cell in cells)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _unguard(cell: str) -> str:
    """Undoes the quote ``_guard`` put before a formula-like value."""
    return cell[1:] if _FORMULA_START.match(cell) and cell.startswith("'") else cell


def _cell(raw: str) -> str | None:
    value = _unguard(raw.strip())
    return value if value.strip() else None


def _header_errors(names: list[str], line: int, kind: _Kind) -> tuple[list[RowError], bool]:
    """The header's problems, and whether the rows below can still be read."""
    errors: list[RowError] = []
    named = [name for name in names if name]
    unknown = [name for name in named if name not in kind.columns]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, kind.columns, n=1)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        errors.append(
            RowError(
                line,
                None,
                f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
                f"the columns are {', '.join(kind.columns)}",
            )
        )
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        errors.append(RowError(line, None, f"columns named twice: {', '.join(repeated)}"))
    missing = [name for name in kind.required if name not in named]
    if missing:
        errors.append(
            RowError(
                line,
                None,
                f"the header lacks the required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; the first line must name the columns, "
                f"such as {','.join(kind.columns)}",
            )
        )
    return errors, not (missing or repeated)


def _row_errors(exc: ValidationError, line: int) -> list[RowError]:
    errors = []
    for detail in exc.errors(include_url=False):
        loc = detail["loc"]
        column = str(loc[0]) if loc else None
        message = detail["msg"]
        if detail["type"] == "missing":
            message = "is required"
        errors.append(RowError(line, column, message))
    return errors


def _parse(
    text: str | bytes, kind: _Kind, model: type[Row], max_rows: int | None = None
) -> tuple[list[tuple[int, Row]], list[RowError]]:
    """Each valid row with the line it starts on, and the problems of the others.

    Raises at once only when the header leaves the rows unreadable or the file has more than
    ``max_rows`` rows.
    """
    decoded = _decode(text)
    reader = csv.reader(
        io.StringIO(decoded, newline=""), delimiter=_delimiter(decoded, kind), strict=True
    )
    errors: list[RowError] = []
    rows: list[tuple[int, Row]] = []
    names: list[str] | None = None
    first_line: dict[str, int] = {}
    count = 0
    end = 0
    while True:
        start = end + 1
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            errors.append(
                RowError(
                    start,
                    None,
                    f"the CSV cannot be read from here on ({exc}); "
                    'a value opened with a double quote " may lack its closing quote',
                )
            )
            break
        end = reader.line_num
        if cells is None:
            break
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or one of only delimiters
        if names is None:
            names = [_column_name(cell) for cell in cells]
            header_errors, readable = _header_errors(names, start, kind)
            errors.extend(header_errors)
            if not readable:
                raise CsvImportError(errors)
            continue
        count += 1
        if max_rows is not None and count > max_rows:
            raise CsvImportError([_too_many(start, max_rows)])
        # Checked apart from the row's validation so a duplicate shows even on a faulty row.
        key = _key(cells, names, kind)
        if key is not None and key in first_line:
            errors.append(RowError(start, kind.key, f"{key} is already on line {first_line[key]}"))
        elif key is not None:
            first_line[key] = start
        located = _row(cells, names, start, kind, model)
        if isinstance(located, list):
            errors.extend(located)
        else:
            rows.append((start, located))
    if names is None and not errors:
        errors.append(
            RowError(
                1,
                None,
                f"the file is empty; its first line must name the columns, "
                f"such as {','.join(kind.columns)}",
            )
        )
    return rows, errors


def _too_many(line: int, max_rows: int) -> RowError:
    return RowError(
        line,
        None,
        f"the file has more than {max_rows:,} rows, the most one import takes here; "
        "split it into smaller files (or import it with the cagekeeper-hub command)",
    )


def _key(cells: list[str], names: list[str], kind: _Kind) -> str | None:
    index = names.index(kind.key)
    try:
        return kind.normalise_key(_cell(cells[index])) if index < len(cells) else None
    except PydanticCustomError:
        return None  # the row's validation reports it


def _row(
    cells: list[str], names: list[str], line: int, kind: _Kind, model: type[Row]
) -> Row | list[RowError]:
    used = max(index for index, cell in enumerate(cells) if cell.strip()) + 1
    if used > len(names):
        return [
            RowError(
                line,
                None,
                f"has {used} values but the header names {len(names)} columns; "
                "a value may hold an unquoted delimiter",
            )
        ]
    record: dict[str, str | None] = {name: None for name in names if name in kind.columns}
    errors: list[RowError] = []
    for name, raw in zip(names, cells, strict=False):
        if name in record:
            record[name] = _cell(raw)
        elif not name and raw.strip():
            errors.append(RowError(line, None, "a value stands in a column with no header"))
    try:
        row = model.model_validate(record)
    except ValidationError as exc:
        errors.extend(_row_errors(exc, line))
        return errors
    return errors or row


# --- export ---


def export_assets(rows: Iterable[Mapping[str, object] | AssetRow]) -> str:
    """CSV text of assets, in ASSET_COLUMNS order, that ``parse_assets`` reads back unchanged.

    A status of ``out`` is written blank: an import cannot set it, and blank keeps it.
    """
    return _export(ASSET_COLUMNS, rows, _asset_cell)


def export_people(rows: Iterable[Mapping[str, object] | PersonRow]) -> str:
    """CSV text of people, in PEOPLE_COLUMNS order; ``badges`` is a list of UIDs."""
    return _export(PEOPLE_COLUMNS, rows, _person_cell)


def _asset_cell(column: str, value: object) -> str:
    if column in ("value", "cost"):
        return _money_text(value)
    if column == "status" and _cell_text(value).lower() == "out":
        return ""
    return _cell_text(value)


def _person_cell(column: str, value: object) -> str:
    return _cell_text(value)


def _money_text(value: object) -> str:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if amount.is_finite():
                return format(amount.quantize(_CENT, rounding=ROUND_HALF_UP), "f")
        except InvalidOperation:
            pass  # too large to quantize: written as it is
    return _cell_text(value)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return _cell_text(value.value)
    if isinstance(value, Decimal):
        return format(value, "f")  # never 1E+3
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")  # the shortest text that reads back the same
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return ";".join(sorted(_cell_text(item) for item in value))
    if isinstance(value, list | tuple):
        return ";".join(_cell_text(item) for item in value)
    return str(value)


def _guard(cell: str) -> str:
    """A leading quote keeps a spreadsheet from running the cell as a formula."""
    return "'" + cell if _FORMULA_START.match(cell) else cell


def export_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """CSV text of any table, cells written and guarded as the registry's exports are."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_guard(_cell_text(value)) for value in row])
    return out.getvalue()


def _export(
    columns: tuple[str, ...],
    rows: Iterable[Mapping[str, object] | BaseModel],
    cell: Callable[[str, object], str],
) -> str:
    records = (row.model_dump() if isinstance(row, BaseModel) else row for row in rows)
    return export_table(
        columns, ([cell(column, r.get(column)) for column in columns] for r in records)
    )


def asset_changes(data: str | bytes, max_rows: int | None = None) -> list[dict[str, object]]:
    """What an asset sheet changes: for each row, only the columns the file has (a blank cell
    clears one); CsvImportError lists every problem."""
    return [row.model_dump(exclude_unset=True) for row in parse_assets(data, max_rows)]


def person_changes(data: str | bytes, max_rows: int | None = None) -> list[dict[str, object]]:
    """What a people sheet changes, as ``asset_changes``."""
    return [row.model_dump(exclude_unset=True) for row in parse_people(data, max_rows)]
