"""Which column of a sheet goes where: detected from the header, shown before anything is
stored, and corrected by the manager's own ``Their Column=our_field`` overrides."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hub.sheets import cells
from hub.sheets.problems import CsvImportError, RowError
from hub.sheets.rows import FIELD_NAME_LIMIT
from hub.sheets.vendors import CUSTOM, HOLDER, IGNORE, KEEP, Vendor, key


@dataclass(frozen=True)
class Column:
    """One column of the file: ``target`` is one of this hub's fields, ``field:<name>`` (kept as
    the asset's own field), ``holder`` (reported only) or ``-`` (left out)."""

    index: int
    header: str
    target: str
    overridden: bool = False

    @property
    def custom(self) -> str | None:
        return self.target[len(CUSTOM) :] if self.target.startswith(CUSTOM) else None

    @property
    def shown(self) -> str:
        """The target as the preview says it."""
        if self.custom is not None:
            return f"own field {self.custom!r}"
        if self.target == HOLDER:
            return "who has it there (reported, not imported)"
        if self.target == IGNORE:
            return "left out"
        return self.target


@dataclass(frozen=True)
class ColumnMap:
    """The plan for a file's columns, and the system it came from."""

    source: Vendor
    columns: tuple[Column, ...]
    statuses: Mapping[str, str]  # lower-cased status written there -> ours or KEEP
    problems: tuple[RowError, ...] = ()  # of the header, found while the rows can be read

    def target(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.target == name), None)


def parse_overrides(pairs: Sequence[str], line: int = 1) -> dict[str, str]:
    """``Their Column=our_field`` pairs as a dict; a pair without '=' is a clear error."""
    out: dict[str, str] = {}
    problems = []
    for pair in pairs:
        their, sep, ours = pair.rpartition("=")
        if not sep or not their.strip():
            problems.append(RowError(line, None, f"{pair!r} is not of the form 'Their=ours'"))
            continue
        out[their.strip()] = ours.strip()
    if problems:
        raise CsvImportError(problems)
    return out


def plan(
    headers: list[str],
    source: Vendor,
    fields: Sequence[str],
    required: Sequence[str],
    overrides: Mapping[str, str],
    statuses: Mapping[str, str],
    line: int,
    *,
    own_fields: bool = True,
) -> ColumnMap:
    """Where each column goes, or CsvImportError saying every problem of the header.

    In this hub's own format a column close to one of its names is refused as a likely typo
    (it would otherwise be kept quietly as an own field); another system's unknown column is
    kept as an own field, since nothing of its export should be lost. Without ``own_fields``
    (people have none) an unknown column is refused.
    """
    errors: list[RowError] = []
    soft: list[RowError] = []  # the rows can still be read and checked
    by_header = {h.strip().lower(): i for i, h in enumerate(headers)}
    told: dict[int, str] = {}
    for their, ours in overrides.items():
        index = by_header.get(their.strip().lower())
        if index is None:
            errors.append(
                RowError(line, None, f"--map names {their!r}, which is not a column of this file")
            )
            continue
        target = _target(ours, fields)
        if target is not None and target.startswith(CUSTOM) and not own_fields:
            target = None
        if target is None:
            errors.append(
                RowError(
                    line,
                    None,
                    f"--map {their}={ours}: {ours!r} is not one of {', '.join(fields)}, "
                    f"'{CUSTOM}<name>' (kept as the item's own field) or '{IGNORE}' (left out)",
                )
            )
            continue
        told[index] = target
    columns: list[Column] = []
    taken: dict[str, int] = {}
    own = source.name == "Cagekeeper"
    for index, header in enumerate(headers):
        name = header.strip()
        if not name:
            columns.append(Column(index, header, IGNORE))
            continue
        if index in told:
            columns.append(Column(index, name, told[index], overridden=True))
            continue
        custom = source.custom_name(name)
        target = f"{CUSTOM}{custom}" if custom else source.columns.get(key(name))
        if target is None:
            close = difflib.get_close_matches(name.lower(), fields, n=1, cutoff=0.75)
            if (own and close) or not own_fields:
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                columns.append(Column(index, name, IGNORE))
                soft.append(
                    RowError(
                        line,
                        None,
                        f"unknown column {name!r}{hint}; the columns are {', '.join(fields)}"
                        + (", and others are kept as the item's own fields" if own_fields else ""),
                    )
                )
                continue
            target = f"{CUSTOM}{name}"
        columns.append(Column(index, name, target))
    # two columns meaning one field: the one the manager named, else the first in precedence
    for column in sorted(columns, key=lambda c: (not c.overridden, _precedence(c, source))):
        if column.target in (IGNORE, HOLDER):
            continue
        if column.target in taken:
            if column.overridden or own or not own_fields:
                errors.append(
                    RowError(
                        line,
                        None,
                        f"columns {headers[taken[column.target]].strip()!r} and "
                        f"{column.header!r} both go to {column.target} (columns named twice?)",
                    )
                )
                continue
            columns[column.index] = Column(column.index, column.header, f"{CUSTOM}{column.header}")
            continue
        taken[column.target] = column.index
    for column in columns:
        if column.custom is not None and len(column.custom) > FIELD_NAME_LIMIT:
            errors.append(
                RowError(line, None, f"column name {column.header!r} is too long for a field")
            )
    missing = [name for name in required if name not in taken]
    if missing:
        errors.append(
            RowError(
                line,
                None,
                f"no column gives {', '.join(missing)} (read as a {source.name} file); the "
                "first line must name the columns, or map one with "
                f"--map 'Their Column={missing[0]}'",
            )
        )
    table = {k.lower(): v for k, v in source.statuses.items()}
    for their, ours in statuses.items():
        if ours.lower() not in (*cells.STATUSES, KEEP):
            errors.append(
                RowError(
                    line,
                    None,
                    f"status {their!r}={ours!r}: map it to one of "
                    f"{', '.join(cells.STATUSES)} or {KEEP}",
                )
            )
        table[their.strip().lower()] = ours.lower()
    if errors:
        raise CsvImportError(errors + soft)
    return ColumnMap(source, tuple(columns), table, tuple(soft))


def _precedence(column: Column, source: Vendor) -> int:
    order = list(source.columns)
    found = key(column.header)
    return order.index(found) if found in order else len(order)


def _target(ours: str, fields: Sequence[str]) -> str | None:
    written = ours.strip()
    if written in (IGNORE, "ignore"):
        return IGNORE
    if written == HOLDER:
        return HOLDER
    if written.lower().startswith(CUSTOM):
        name = written[len(CUSTOM) :].strip()
        return f"{CUSTOM}{name}" if name else None
    if written.lower() in fields:
        return written.lower()
    return None
