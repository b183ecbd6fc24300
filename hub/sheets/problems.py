"""What is wrong with a sheet, said where a manager will look for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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
