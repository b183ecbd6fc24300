"""Each shell command that changes something leaves one audit entry: the store's own when it
records the change, else one naming the command."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.store import Store
from tests.integration.test_cli import _hub_config


def test_each_command_is_audited_once(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    runner = CliRunner()
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        for args, action in (
            (("asset", "add", "cam-1", "Camera", "--category", "camera"), "asset.add"),
            (("asset", "retire", "cam-1", "--reason", "replaced"), "asset.retire"),
            (("person", "add", "ada", "Ada Lovelace"), "cli.person.add"),
            (("person", "block", "ada", "--reason", "late", "--days", "3"), "person.block"),
            (("loan-period", "camera", "hours", "48"), "cli.loan-period"),
            (("asset", "export"), None),  # reads only: nothing recorded
        ):
            before = len(store.audit_entries(limit=1000))
            done = runner.invoke(cli, ["-c", str(config), *args], env={"USER": "sam"})
            assert done.exit_code == 0, done.output
            entries = store.audit_entries(limit=1000)
            new = entries[: len(entries) - before]
            assert [e.action for e in new] == ([action] if action else []), args
            assert all(e.actor == "cli:sam" for e in new)
    finally:
        store.close()
