"""CSV import of the registers: every error names its line and column, duplicates are found
on the later line, and a file's shape problems (missing, doubled or headless columns, an
unclosed quote) are said plainly."""

from __future__ import annotations

import pytest

from hub.sheets import CsvImportError, PersonRow, RowError, parse_assets, parse_people
from tests.unit.test_sheets import ASSET_HEADER, PEOPLE_HEADER, asset_errors, people_errors


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
