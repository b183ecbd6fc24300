"""Reading a group list: who is in which access groups (courses, departments), as a registrar's
enrolment export gives it.

Two columns, ``id`` (the person) and ``groups`` (several separated by ";"; ``group`` is read
the same), with any other columns ignored. A person may have several rows (one per course, as
enrolment lists come): their groups add up. Every problem is reported at once, with its line,
and then nothing is imported.
"""

from __future__ import annotations

import csv
import io

from pydantic_core import PydanticCustomError

from hub.sheets import cells
from hub.sheets.problems import CsvImportError, RowError
from hub.sheets.read import decode

MAX_ROWS = 200_000


def read_groups(data: str | bytes) -> dict[str, list[str]]:
    """Each person's groups, in the order the file names them."""
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise CsvImportError([RowError(1, None, f"the header cannot be read: {exc}")]) from None
    named: dict[str, int | None] = {"id": None, "groups": None}
    for n, name in enumerate(header):
        key = "groups" if name in ("groups", "group") else name
        if key in named and named[key] is None:
            named[key] = n
    missing = [k for k, n in named.items() if n is None]
    if missing:
        raise CsvImportError(
            [
                RowError(
                    1,
                    None,
                    f"the header needs the columns id and groups (missing: {', '.join(missing)})",
                )
            ]
        )
    person_at, groups_at = named["id"], named["groups"]
    assert person_at is not None and groups_at is not None
    found: dict[str, list[str]] = {}
    errors: list[RowError] = []
    try:
        for row in reader:
            line = reader.line_num
            if line > MAX_ROWS:
                raise CsvImportError([RowError(line, None, f"more than {MAX_ROWS} rows")])
            if not any(cell.strip() for cell in row):
                continue
            cells_of = row + [""] * (len(header) - len(row))
            try:
                person = cells.person_id(cells_of[person_at])
            except PydanticCustomError as exc:
                errors.append(RowError(line, "id", exc.message()))
                continue
            try:
                groups = cells.groups(cells_of[groups_at])
            except PydanticCustomError as exc:
                errors.append(RowError(line, "groups", exc.message()))
                continue
            mine = found.setdefault(person, [])
            mine.extend(g for g in groups if g not in mine)
            if len(";".join(mine)) > cells.GROUPS_LIMIT:
                errors.append(
                    RowError(
                        line,
                        "groups",
                        f"{person}'s groups together are longer than "
                        f"{cells.GROUPS_LIMIT} characters",
                    )
                )
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, None, f"the file cannot be read here: {exc}"))
    if errors:
        raise CsvImportError(errors)
    return found
