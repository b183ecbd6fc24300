"""Other systems' exports read as they come: Snipe-IT, Cheqroom and Shelf files (written from
each system's documented export columns), their statuses, money and dates, and the manager's
own column and status choices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from hub.sheets import ASSETS, CsvImportError, Sheet, parse_assets, parse_overrides, read
from hub.sheets.rows import AssetRow

EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


def _sheet(
    name: str, overrides: dict[str, str] | None = None, statuses: dict[str, str] | None = None
) -> Sheet[AssetRow]:
    return read((EXPORTS / name).read_bytes(), ASSETS, overrides, statuses)


def _rows(sheet: Sheet[AssetRow]) -> dict[str, AssetRow]:
    return {located.row.code: located.row for located in sheet.rows}


def test_a_snipe_it_export_is_read_whole() -> None:
    sheet = _sheet("snipe-it.csv")

    assert sheet.mapping.source.name == "Snipe-IT" and not sheet.refused
    rows = _rows(sheet)
    assert len(rows) == 7
    camera = rows["CAM-0101"]
    assert (camera.name, camera.category, camera.model, camera.manufacturer) == (
        "Cinema camera A",
        "Cameras",
        "C70",
        "Canon",
    )
    assert camera.cost == Decimal("1299.00")  # "$1,299.00"
    assert camera.acquired == date(2023, 4, 5)  # "2023-04-05 10:22:00"
    assert camera.home == "Film cage" and camera.supplier == "B&H Photo"
    # what this hub has no column for is kept, named as Snipe-IT names it
    assert camera.fields["Lens Mount"] == "RF" and camera.fields["Model No."] == "4507C002"
    assert "ID" not in camera.fields and "Created At" not in camera.fields


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("CAM-0101", "available"),  # Ready to Deploy
        ("CAM-0102", None),  # Deployed: kept; custody comes from a checkout
        ("LENS-0103", "retired"),  # Archived
        ("MIC-0104", "maintenance"),  # Pending
        ("REC-0105", "maintenance"),  # Broken
        ("LGT-0106", "maintenance"),  # Out for Repair
        ("GMB-0107", "retired"),  # Lost/Stolen
    ],
)
def test_snipe_it_statuses_become_ours(code: str, status: str | None) -> None:
    assert _rows(_sheet("snipe-it.csv"))[code].status == status


def test_who_has_an_item_there_is_reported_not_imported() -> None:
    notes = [str(note) for note in _sheet("snipe-it.csv").notes]

    assert any("line 3, Checked Out To: with Ada Lovelace in Snipe-IT" in n for n in notes)
    assert any("'Deployed' in Snipe-IT: the status here is kept" in n for n in notes)


def test_a_cheqroom_export_is_read_with_its_day_first_dates() -> None:
    sheet = _sheet("cheqroom.csv")

    assert sheet.mapping.source.name == "Cheqroom" and not sheet.refused
    rows = _rows(sheet)
    body = rows["BMPCC6K01"]
    assert (body.manufacturer, body.model) == ("Blackmagic", "Pocket 6K Pro")  # Brand
    assert body.cost == Decimal("2450.50") and body.value == Decimal("1200.00")
    # 23/01/2022 in the file shows its dates are day first, so 05/04/2022 is 5 April
    assert body.acquired == date(2022, 1, 23)
    assert rows["BMPCC6K02"].acquired == date(2022, 4, 5)
    assert rows["NINJA03"].status == "retired"  # Expired
    assert rows["TRIPOD07"].status is None  # In custody: kept
    assert body.fields["Kit"] == "Doc kit 1" and body.fields["Sensor Size"] == "Super35"


def test_a_shelf_export_with_semicolons_and_decimal_commas_is_read() -> None:
    sheet = _sheet("shelf.csv")

    assert sheet.mapping.source.name == "Shelf" and not sheet.refused
    rows = _rows(sheet)
    drone = rows["SAM-0001"]
    assert drone.name == "Drone" and drone.notes == "Mavic 3 with 3 batteries"
    assert drone.value == Decimal("1999.00")  # 1999,00
    assert rows["SAM-0002"].value == Decimal("1099.00")  # 1.099,00
    # Shelf's own fields ("cf:Serial Number,type:text") keep their names
    assert drone.fields["Serial Number"] == "M3-00991" and drone.fields["Insured"] == "yes"
    assert drone.fields["QR ID"] == "cm1qr0001"
    assert rows["SAM-0003"].status is None  # CHECKED_OUT: kept


def test_a_column_can_be_mapped_by_hand() -> None:
    sheet = _sheet("snipe-it.csv", overrides={"Location": "home", "Default Location": "-"})

    homes = {column.header: column.target for column in sheet.mapping.columns}
    assert homes["Location"] == "home" and homes["Default Location"] == "-"
    assert "Location" not in _rows(sheet)["CAM-0101"].fields


def test_a_column_mapped_onto_a_detected_one_moves_that_one_to_an_own_field() -> None:
    sheet = _sheet("snipe-it.csv", overrides={"Model No.": "model"})

    camera = _rows(sheet)["CAM-0101"]
    assert camera.model == "4507C002" and camera.fields["Model"] == "C70"


def test_a_column_can_be_kept_as_an_own_field_or_left_out() -> None:
    sheet = _sheet("cheqroom.csv", overrides={"Brand": "field:Brand", "Tags": "-"})

    body = _rows(sheet)["BMPCC6K01"]
    assert body.manufacturer is None and body.fields["Brand"] == "Blackmagic"
    assert "Tags" not in body.fields


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"Colour": "home"}, "'Colour', which is not a column of this file"),
        ({"Location": "where"}, "'where' is not one of code, name"),
        ({"Location": "name", "Supplier": "name"}, "both go to name"),
    ],
)
def test_a_wrong_mapping_is_refused_with_the_reason(
    overrides: dict[str, str], fragment: str
) -> None:
    with pytest.raises(CsvImportError) as caught:
        _sheet("snipe-it.csv", overrides=overrides)

    assert fragment in str(caught.value)


def test_a_missing_required_column_says_how_to_map_one() -> None:
    text = "Their Code,Name,Category\nA-1,Tripod,Grip\n"
    with pytest.raises(CsvImportError) as caught:
        read(text, ASSETS)
    assert "--map 'Their Column=code'" in str(caught.value)

    sheet = read(text, ASSETS, {"Their Code": "code"})
    assert [located.row.code for located in sheet.rows] == ["A-1"]


def test_an_unknown_status_refuses_its_row_until_it_is_mapped() -> None:
    text = (EXPORTS / "snipe-it.csv").read_text().replace("Out for Repair", "At the vendor")

    sheet = read(text, ASSETS)
    assert [(e.line, e.column) for e in sheet.refused] == [(7, "Status")]
    assert "--status 'At the vendor=available'" in sheet.refused[0].message
    assert len(sheet.rows) == 6  # the others are still read

    mapped = read(text, ASSETS, statuses={"At the vendor": "maintenance"})
    assert not mapped.refused and _rows(mapped)["LGT-0106"].status == "maintenance"


def test_a_status_mapped_to_nothing_known_is_refused() -> None:
    with pytest.raises(CsvImportError) as caught:
        _sheet("snipe-it.csv", statuses={"Pending": "lost"})
    assert "map it to one of available, maintenance, retired or keep" in str(caught.value)


def test_overrides_are_read_from_their_equals_form() -> None:
    assert parse_overrides(["Asset Tag=code", "A=B=name"]) == {"Asset Tag": "code", "A=B": "name"}
    with pytest.raises(CsvImportError):
        parse_overrides(["no equals sign"])


@pytest.mark.parametrize(
    ("written", "amount"),
    [
        ("$1,299.00", "1299.00"),
        ("1,299.00", "1299.00"),
        ("USD 1,299.00", "1299.00"),
        ("1.299,00 €", "1299.00"),
        ("€1.299,00", "1299.00"),
        ("1 299,50", "1299.50"),
        ("£12", "12.00"),
        ("1299,5", "1299.50"),
        ("0", "0.00"),
    ],
)
def test_money_is_read_as_other_systems_write_it(written: str, amount: str) -> None:
    [row] = parse_assets(f'code,name,category,cost\nA,B,C,"{written}"\n')

    assert row.cost == Decimal(amount)


@pytest.mark.parametrize("written", ["$-5.00", "(12.00)", "1,2345", "12 apples", "$"])
def test_money_that_is_negative_or_unreadable_is_refused(written: str) -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_assets(f'code,name,category,cost\nA,B,C,"{written}"\n')
    assert caught.value.errors[0].column == "cost"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2023-04-05", date(2023, 4, 5)),
        ("2023-04-05 10:22:00", date(2023, 4, 5)),
        ("2023-04-05T10:22:00.000Z", date(2023, 4, 5)),
        ("5 Apr 2023", date(2023, 4, 5)),
        ("Apr 5, 2023", date(2023, 4, 5)),
        ("April 5, 2023", date(2023, 4, 5)),
        ("25/12/2023", date(2023, 12, 25)),
        ("12/25/2023", date(2023, 12, 25)),
        ("07/07/2023", date(2023, 7, 7)),
    ],
)
def test_dates_and_date_times_are_read(written: str, day: date) -> None:
    [row] = parse_assets(f'code,name,category,acquired\nA,B,C,"{written}"\n')

    assert row.acquired == day


def test_numeric_dates_follow_the_order_the_file_shows() -> None:
    month_first = "code,name,category,acquired\nA,B,C,12/25/2023\nD,E,C,04/05/2023\n"
    day_first = "code,name,category,acquired\nA,B,C,25/12/2023\nD,E,C,04/05/2023\n"

    assert parse_assets(month_first)[1].acquired == date(2023, 4, 5)
    assert parse_assets(day_first)[1].acquired == date(2023, 5, 4)
    both = "code,name,category,acquired\nA,B,C,25/12/2023\nD,E,C,12/25/2023\nF,G,C,04/05/2023\n"
    with pytest.raises(CsvImportError) as caught:
        parse_assets(both)
    assert [e.line for e in caught.value.errors] == [4]


def test_the_snipe_it_columns_a_manager_reported_refused_are_read() -> None:
    text = (
        "Asset Tag,Name,Category,Model,Manufacturer,Serial,Purchase Date,Purchase Cost,"
        "Supplier,Location,Status,Notes,Checked Out To\n"
        'T-1,Tripod,Grip,Flowtech 75,Sachtler,S1,2023-04-05 10:22:00,"$1,299.00",'
        "Acme,Film cage,Ready to Deploy,,\n"
        "T-2,Old tripod,Grip,,,,,,,Film cage,Archived,,\n"
    )

    sheet = read(text, ASSETS)

    assert sheet.mapping.source.name == "Snipe-IT" and not sheet.refused
    first, second = (located.row for located in sheet.rows)
    assert (first.model, first.manufacturer, first.home) == ("Flowtech 75", "Sachtler", "Film cage")
    assert first.cost == Decimal("1299.00") and first.acquired == date(2023, 4, 5)
    assert (first.status, second.status) == ("available", "retired")
