"""The registers' CSV round trip, now ``hub.sheets``; this name stays for code that imports it."""

from __future__ import annotations

from hub.sheets import (
    ASSET_COLUMNS,
    PEOPLE_COLUMNS,
    AssetRow,
    CsvImportError,
    PersonRow,
    RowError,
    asset_changes,
    export_assets,
    export_people,
    export_table,
    parse_assets,
    parse_people,
    person_changes,
)

__all__ = [
    "ASSET_COLUMNS",
    "PEOPLE_COLUMNS",
    "AssetRow",
    "CsvImportError",
    "PersonRow",
    "RowError",
    "asset_changes",
    "export_assets",
    "export_people",
    "export_table",
    "parse_assets",
    "parse_people",
    "person_changes",
]
