"""Imports of other systems' exports into a real registry (SQLite, and PostgreSQL where the
comparison with stored values could differ): a dry run and the import say the same thing,
rows are added, changed (the fields named) or left alone, and one refused row stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from hub import sheet_import
from hub.sheets import ASSETS, export_assets
from hub.store import Store
from tests.events import KioskFeed

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


@pytest.fixture
def store(hub_url: str) -> Iterator[Store]:
    s = Store.open(hub_url)
    yield s
    s.close()


def _file(name: str) -> str:
    return (EXPORTS / name).read_text(encoding="utf-8")


def _import(store: Store, text: str, dry_run: bool = False) -> sheet_import.Report:
    return sheet_import.run(store, ASSETS, text, T0, "manager", dry_run=dry_run)


def test_a_dry_run_reports_what_the_import_then_does(store: Store) -> None:
    dry = _import(store, _file("snipe-it.csv"), dry_run=True)

    assert [d.key for d in dry.added] == [
        "CAM-0101",
        "CAM-0102",
        "LENS-0103",
        "MIC-0104",
        "REC-0105",
        "LGT-0106",
        "GMB-0107",
    ]
    assert not dry.stored and store.asset_detail("CAM-0101") is None  # nothing stored
    assert dry.summary() == "7 added, 0 changed, 0 unchanged"

    done = _import(store, _file("snipe-it.csv"))
    assert done.stored and done.summary() == dry.summary()
    camera = store.asset_detail("CAM-0101")
    assert camera is not None
    asset = camera.asset
    assert (asset.model, asset.manufacturer) == ("C70", "Canon")
    assert asset.cost == Decimal("1299.00") and str(asset.acquired) == "2023-04-05"
    assert camera.fields["Lens Mount"] == "RF"
    assert store.asset_detail("LENS-0103").asset.status == "retired"  # type: ignore[union-attr]
    assert store.asset_detail("MIC-0104").asset.status == "maintenance"  # type: ignore[union-attr]


def test_importing_again_changes_only_what_differs_and_names_it(store: Store) -> None:
    _import(store, _file("snipe-it.csv"))

    again = _import(store, _file("snipe-it.csv"))
    assert again.summary() == "0 added, 0 changed, 7 unchanged"

    edited = (
        _file("snipe-it.csv")
        .replace('"$1,299.00"', '"$1,199.00"')
        .replace("2024-01-10 12:00:00,RF", "2024-01-10 12:00:00,RF-S")
        .replace("Awaiting tagging,12 months", "Awaiting tagging,")
    )
    report = _import(store, edited)
    assert report.summary() == "0 added, 2 changed, 5 unchanged"
    changed = {d.key: d.fields for d in report.changed}
    assert changed == {"CAM-0101": ("cost", "Lens Mount"), "MIC-0104": ("Warranty",)}
    mic = store.asset_detail("MIC-0104")
    assert mic is not None and "Warranty" not in mic.fields  # a blank cell clears it


def test_own_fields_are_exported_and_the_export_imports_back_unchanged(store: Store) -> None:
    _import(store, _file("cheqroom.csv"))
    _import(store, _file("shelf.csv"))

    names = store.asset_field_names()
    assert {"Sensor Size", "Serial Number", "Warranty Date"} <= set(names)
    exported = export_assets(store.asset_rows(), names)
    header = exported.splitlines()[0].split(",")
    assert header[3:5] == ["model", "manufacturer"] and "field:Sensor Size" in header

    report = _import(store, exported)
    assert report.mapping.source.name == "Cagekeeper"
    assert report.summary() == "0 added, 0 changed, 9 unchanged"


def test_one_refused_row_stores_nothing_and_says_why(store: Store) -> None:
    text = _file("snipe-it.csv").replace("$869.00", "about 800")

    report = _import(store, text)

    assert not report.stored and store.asset_detail("CAM-0101") is None
    assert [(e.line, e.column) for e in report.refused] == [(8, "Purchase Cost (cost)")]
    assert "must be an amount" in report.refused[0].message
    assert len(report.added) == 6  # what the others would do is still said


def test_a_kit_no_asset_has_is_refused_with_the_row(store: Store) -> None:
    report = _import(store, "code,name,category,kit\nLENS-1,Lens,Optics,KIT-9\nB-1,Bag,Bags,\n")

    assert [(e.line, e.message) for e in report.refused] == [
        (2, "no kit 'KIT-9': no asset has that code")
    ]
    assert not report.stored and store.asset_detail("B-1") is None


def test_a_kit_listed_after_its_pieces_is_stored_first(store: Store) -> None:
    report = _import(store, "code,name,category,kit\nLENS-1,Lens,Optics,KIT-9\nKIT-9,Kit,Kits,\n")

    assert report.stored and report.summary() == "2 added, 0 changed, 0 unchanged"


def test_an_item_out_on_loan_keeps_its_status_and_the_import_says_so(store: Store) -> None:
    _import(store, _file("snipe-it.csv"))
    store.add_person("ada", "Ada Lovelace", ["04A1B2C3"])
    store.add_kiosk("cage-1", "Film cage", T0)
    KioskFeed(store).checkout("CAM-0101", "ada", T0)

    report = _import(store, _file("snipe-it.csv").replace("Ready to Deploy", "Archived"))

    assert report.summary() == "0 added, 0 changed, 7 unchanged"
    assert store.asset_detail("CAM-0101").asset.status == "out"  # type: ignore[union-attr]
