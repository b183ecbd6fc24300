"""Access groups from files and the shell: the people spreadsheet's groups column goes out and
comes back unchanged, a registrar's group list replaces only the groups it names, neither
touches what the identity provider gave, and categories are restricted from the CLI."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner, Result

from hub.cli import cli
from hub.replica import build_snapshot
from hub.store import Store
from tests.integration.test_cli import _hub_config

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-c", str(config), *args])


def _store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'hub.db'}")


def test_the_people_sheet_s_groups_round_trip_and_leave_sign_in_groups_alone(
    tmp_path: Path,
) -> None:
    config = _hub_config(tmp_path)
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "id,name,email,badges,groups,staff\n"
        "ada,Ada Lovelace,,04A1B2C3,FILM101;Photo club,no\n"
        "bo,Bo Bennett,,,,no\n",
        encoding="utf-8",
    )
    imported = _run(config, "person", "import", str(sheet))
    assert imported.exit_code == 0, imported.output
    store = _store(tmp_path)
    try:
        store.set_groups("ada", ["Engineering"])  # what sign-in gave her
        store.set_groups("bo", ["FILM101"])
    finally:
        store.close()

    exported = _run(config, "person", "export")
    assert exported.exit_code == 0, exported.output
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(exported.output.lstrip("\ufeff")))}
    # the sheet carries the registry's groups only: sign-in's are not copied into it
    assert (rows["ada"]["groups"], rows["bo"]["groups"]) == ("FILM101;Photo club", "")

    again = tmp_path / "again.csv"
    again.write_text(exported.output, encoding="utf-8")
    assert _run(config, "person", "import", str(again)).exit_code == 0
    shown = _run(config, "person", "groups", "show", "ada")
    assert shown.output.splitlines() == [
        "registry: FILM101; Photo club",
        "identity provider: Engineering",
    ]
    store = _store(tmp_path)
    try:
        snap = build_snapshot(store.replica_rows(NOW), 1, NOW)
    finally:
        store.close()
    groups = {p.id: p.groups for p in snap.people}
    assert groups == {"ada": ["FILM101", "Photo club", "Engineering"], "bo": ["FILM101"]}


def test_a_group_list_replaces_the_groups_of_whom_it_names_all_or_nothing(
    tmp_path: Path,
) -> None:
    config = _hub_config(tmp_path)
    for args in (
        ["person", "add", "ada", "Ada Lovelace"],
        ["person", "add", "bo", "Bo Bennett"],
        ["person", "add", "cy", "Cy Young"],
    ):
        assert _run(config, *args).exit_code == 0
    store = _store(tmp_path)
    try:
        store.import_groups({"cy": ["Old course"]}, NOW, "test")
        store.set_groups("bo", ["Staff"])
    finally:
        store.close()

    # one row per enrolment, as a registrar exports it; semicolons, any other columns
    enrolments = tmp_path / "enrolled.csv"
    enrolments.write_text(
        "id;group;term\nada;FILM101;2026S\nada;PHOTO200;2026S\nbo;FILM101;2026S\n",
        encoding="utf-8",
    )
    done = _run(config, "person", "groups", "import", str(enrolments))
    assert done.exit_code == 0, done.output
    assert done.output.strip() == "groups of 2 people read: 2 changed"
    assert _run(config, "person", "groups", "show", "ada").output.splitlines()[0] == (
        "registry: FILM101; PHOTO200"
    )
    bo = _run(config, "person", "groups", "show", "bo").output.splitlines()
    assert bo == ["registry: FILM101", "identity provider: Staff"]
    assert "registry: Old course" in _run(config, "person", "groups", "show", "cy").output

    # a list naming someone the registry lacks, or with a bad row, changes nothing at all
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("id,groups\nada,FILM999\nzed,FILM101\n", encoding="utf-8")
    refused = _run(config, "person", "groups", "import", str(wrong))
    assert str(refused.exception) == "not in the registry: zed"  # main() says "error: ..."
    bad = tmp_path / "bad.csv"
    bad.write_text("id,groups\nada,FILM999\nbo," + "g" * 70 + "\n", encoding="utf-8")
    refused = _run(config, "person", "groups", "import", str(bad))
    assert refused.exit_code == 2
    assert "line 3, groups: group 'ggggg" in refused.output and "longer than 64" in refused.output
    no_header = tmp_path / "no-header.csv"
    no_header.write_text("person,course\nada,FILM999\n", encoding="utf-8")
    refused = _run(config, "person", "groups", "import", str(no_header))
    assert refused.exit_code == 2 and "needs the columns id and groups" in refused.output
    assert "registry: FILM101; PHOTO200" in _run(config, "person", "groups", "show", "ada").output


def test_categories_are_restricted_and_opened_from_the_shell(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    assert _run(config, "asset", "add", "CAM-1", "Camera", "--category", "camera").exit_code == 0
    made = _run(config, "category", "groups", "camera", "FILM101", "  photo   club ")
    assert made.exit_code == 0, made.output
    assert made.output.strip() == "camera: only for FILM101; photo club"
    assert _run(config, "category", "list").output.splitlines() == [
        "camera\t24 hours\t-\tFILM101; photo club\t1 items"
    ]
    assert _run(config, "category", "groups", "camera").output.strip() == (
        "camera: FILM101; photo club"
    )
    bad = _run(config, "category", "groups", "camera", "a" * 65)
    assert isinstance(bad.exception, ValueError) and "longer than 64" in str(bad.exception)
    opened = _run(config, "category", "groups", "camera", "--open")
    assert opened.output.strip() == "camera: open to everyone"
    store = _store(tmp_path)
    try:
        actions = [(e.action, e.target, e.detail) for e in store.audit_entries()]
    finally:
        store.close()
    assert ("category.groups", "camera", "FILM101, photo club") in actions
    assert ("category.groups", "camera", "open to everyone") in actions
