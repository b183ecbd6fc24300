"""`cagekeeper-hub asset import` with other systems' exports: the column mapping it detected,
a dry run that stores nothing, hand-made mappings, and counts of what was added or changed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from hub.cli import cli
from hub.store import Store
from tests.integration.test_cli import _hub_config

EXPORTS = Path(__file__).parent.parent / "fixtures" / "exports"


def _hub(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-c", str(config), *args])


def _codes(tmp_path: Path) -> list[str]:
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        return [row.code for row in store.asset_rows()]
    finally:
        store.close()


def test_a_dry_run_shows_the_mapping_and_stores_nothing(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)

    result = _hub(config, "asset", "import", str(EXPORTS / "snipe-it.csv"), "--dry-run")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "read as a Snipe-IT export:"
    assert "  Asset Tag -> code" in lines and "  Purchase Cost -> cost" in lines
    assert "  Lens Mount -> own field 'Lens Mount'" in lines
    assert "line 2: CAM-0101 added" in lines
    assert any(line.startswith("note: line 3, Checked Out To: with Ada Lovelace") for line in lines)
    assert lines[-1] == "dry run, nothing stored: 7 added, 0 changed, 0 unchanged"
    assert _codes(tmp_path) == []


def test_the_import_says_how_many_were_added_changed_and_unchanged(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    sheet = EXPORTS / "cheqroom.csv"

    first = _hub(config, "asset", "import", str(sheet))
    assert first.output.splitlines()[-1] == "assets imported: 5 added, 0 changed, 0 unchanged"
    edited = tmp_path / "edited.csv"
    edited.write_text(sheet.read_text().replace("Ninja V", "Ninja V+"))
    second = _hub(config, "asset", "import", str(edited))
    assert "line 5: NINJA03 changed (model)" in second.output.splitlines()
    assert second.output.splitlines()[-1] == "assets imported: 0 added, 1 changed, 4 unchanged"


def test_map_and_status_options_read_a_file_nothing_recognises(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    sheet = tmp_path / "own.csv"
    sheet.write_text("Inventory No,Item,Kind,State\nX-1,Tripod,Grip,On loan\nX-2,Bag,Bags,OK\n")

    refused = _hub(config, "asset", "import", str(sheet))
    assert refused.exit_code == 2 and "--map 'Their Column=code'" in refused.output

    mapped = _hub(
        config,
        "asset",
        "import",
        str(sheet),
        "--map",
        "Inventory No=code",
        "--map",
        "Item=name",
        "--map",
        "Kind=category",
        "--map",
        "State=status",
        "--status",
        "On loan=keep",
        "--status",
        "OK=available",
    )
    assert mapped.exit_code == 0, mapped.output
    assert mapped.output.splitlines()[-1] == "assets imported: 2 added, 0 changed, 0 unchanged"
    assert _codes(tmp_path) == ["X-1", "X-2"]


def test_a_refused_row_imports_nothing_and_exits_with_an_error(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    sheet = tmp_path / "bad.csv"
    sheet.write_text((EXPORTS / "shelf.csv").read_text().replace("399,00", "cheap"))

    result = _hub(config, "asset", "import", str(sheet))

    assert result.exit_code == 2
    assert "nothing imported: 1 problem(s)" in result.output
    assert "line 4, Valuation (value): must be an amount" in result.output
    assert _codes(tmp_path) == []


def test_a_malformed_map_is_a_usage_error(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)

    result = _hub(config, "asset", "import", str(EXPORTS / "shelf.csv"), "--map", "Name")

    assert result.exit_code == 2 and "not of the form 'Their=ours'" in result.output
    assert "Traceback" not in result.output
