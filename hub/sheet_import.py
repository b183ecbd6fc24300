"""One import of a sheet, the same from the command line and the dashboard: read it, compare
each row with the registry, store it whole (or, in a dry run, only say what it would do)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.sheets import ASSETS, Kind, RowError, Sheet, read
from hub.sheets.mapping import ColumnMap
from hub.store import Store
from hub.store.imports import Outcome


@dataclass(frozen=True)
class Done:
    """One row's fate: its line, its key (code or id) and, when changed, the fields."""

    line: int
    key: str
    fields: tuple[str, ...] = ()


@dataclass
class Report:
    """What an import did, or in a dry run would do, row by row."""

    what: str
    mapping: ColumnMap
    dry_run: bool
    stored: bool = False
    added: list[Done] = field(default_factory=list)
    changed: list[Done] = field(default_factory=list)
    unchanged: list[Done] = field(default_factory=list)
    refused: list[RowError] = field(default_factory=list)
    notes: list[RowError] = field(default_factory=list)
    samples: dict[int, str] = field(default_factory=dict)  # column -> its first value

    def summary(self) -> str:
        """'3 added, 1 changed, 56 unchanged', with refused rows when there are any."""
        counts = (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged"
        )
        return counts + (f", {len(self.refused)} problem(s)" if self.refused else "")


def run(
    store: Store,
    kind: Kind[Any],
    data: bytes | str,
    now: datetime,
    actor: str,
    *,
    overrides: Mapping[str, str] | None = None,
    statuses: Mapping[str, str] | None = None,
    max_rows: int | None = None,
    dry_run: bool = False,
) -> Report:
    """Read ``data`` as ``kind`` and import it, all rows or none. Raises CsvImportError only
    when the file as a whole cannot be read (not UTF-8, no usable header, too many rows)."""
    sheet: Sheet[Any] = read(data, kind, overrides, statuses, max_rows)
    rows = [located.row.model_dump(exclude_unset=True) for located in sheet.rows]
    load = store.import_assets if kind is ASSETS else store.import_people
    outcome: Outcome = load(rows, now, actor, dry_run=dry_run or bool(sheet.refused))
    report = Report(kind.what, sheet.mapping, dry_run, outcome.stored)
    report.notes = sorted(sheet.notes, key=lambda e: e.line)
    report.samples = sheet.samples
    lines = [located.line for located in sheet.rows]
    keys = [str(row[kind.key]) for row in rows]
    report.added = [Done(lines[i], keys[i]) for i in sorted(outcome.added)]
    report.changed = [
        Done(lines[i], keys[i], tuple(fields)) for i, fields in sorted(outcome.changed.items())
    ]
    report.unchanged = [Done(lines[i], keys[i]) for i in sorted(outcome.unchanged)]
    refused = list(sheet.refused)
    refused += [RowError(lines[i], None, why) for i, why in outcome.refused.items()]
    report.refused = sorted(refused, key=lambda e: e.line)
    return report
