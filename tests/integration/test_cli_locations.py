"""The operator's location commands and limiting a user to cages from the shell."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.store import Store
from tests.integration.test_cli import _hub_config


def test_locations_and_user_cages_from_the_shell(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["-c", str(config), *args], input="a long test password\n")
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result.output

    run("asset", "add", "CAM-1", "Canon C70", "--category", "camera", "--home", "Film cage")
    assert "Film cage\t1 assets\t0 kiosks\t0 users" in run("location", "list")
    run("location", "add", "Sound store")
    run("user", "add", "film", "--role", "manager", "--password-stdin")
    assert "user film: Film cage" in run("user", "cages", "film", "Film cage")
    run("location", "rename", "Film cage", "Film cage B")

    refused = runner.invoke(cli, ["-c", str(config), "location", "remove", "Film cage B"])
    assert refused.exit_code != 0
    assert "still named by 1 asset, 1 user" in str(refused.exception)
    run("location", "remove", "Sound store")
    assert "every cage" in run("user", "cages", "film")

    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        assert store.location_names() == ["Film cage B"]
        assert store.user_cages("film") == frozenset()
        actions = [e.action for e in store.audit_entries()]
        assert actions.count("user.cages") == 2 and "location.rename" in actions
    finally:
        store.close()
