"""The kiosk config `kiosk add --write-config` writes is valid TOML whatever the names hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hub.cli import cli
from kiosk.config import load_config
from tests.integration.test_cli import _hub_config


@pytest.mark.parametrize(
    "name", ['Film "A" cage', "C:\\cage\\one", "Caf\u00e9 'quoted' \\\" cage", "tab\there"]
)
def test_a_kiosk_name_with_quotes_or_backslashes_reads_back_as_written(
    tmp_path: Path, name: str
) -> None:
    config = _hub_config(tmp_path)
    out = tmp_path / "cage-1.toml"
    args = ["-c", str(config), "kiosk", "add", "cage-1", "--name", name, "--write-config", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    kiosk = load_config(out)
    assert kiosk.kiosk.id == "cage-1"
    assert kiosk.kiosk.name == name
    assert len(kiosk.signing_key()) == 32
