"""The operator's commands: registering kiosks, people and assets, and checking a kiosk config."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.store import Store
from hub.store.replica_rows import ReplicaBadgeRow
from kiosk.cli import main as kiosk_main
from kiosk.config import load_config
from tests.databases import fresh_sqlite


def _hub_config(tmp_path: Path) -> Path:
    (tmp_path / "hub-pw").write_text("hub-password")
    (tmp_path / "secret").write_text("s" * 40)
    if not (tmp_path / "hub.db").exists():  # some tests make theirs first
        fresh_sqlite(tmp_path / "hub.db")
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndatabase = "sqlite:///{tmp_path / "hub.db"}"\n'
        f'[broker]\nhost = "127.0.0.1"\npassword_file = "{tmp_path / "hub-pw"}"\n'
        f'broker_passwd_file = "{tmp_path / "passwd"}"\n'
        f'[web]\nsecret_key_file = "{tmp_path / "secret"}"\n'
    )
    return config


def test_register_kiosk_person_and_asset(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    runner = CliRunner()
    kiosk_file = tmp_path / "cage-1.toml"
    result = runner.invoke(
        cli,
        [
            "-c",
            str(config),
            "kiosk",
            "add",
            "cage-1",
            "--name",
            "Film cage",
            "--write-config",
            str(kiosk_file),
        ],
    )
    assert result.exit_code == 0, result.output
    assert kiosk_file.stat().st_mode & 0o777 == 0o600
    kiosk_cfg = load_config(kiosk_file)
    assert kiosk_cfg.kiosk.id == "cage-1" and len(kiosk_cfg.signing_key()) == 32
    # the broker login was written in Mosquitto's own format, and it checks out
    line = (tmp_path / "passwd").read_text().strip()
    assert line.startswith("cage-1:$")
    assert kiosk_main(["--config", str(kiosk_file), "--check"]) == 0

    for args in (
        ["person", "add", "ada", "Ada Lovelace", "--badge", "04a1b2c3"],
        ["asset", "add", "cam-1", "Camera", "--category", "camera"],
        ["loan-period", "camera", "hours", "48"],
        ["loan-period", "lens", "next_opening"],
        ["booking", "add", "cam-1", "ada", "2026-03-02T09:00", "2026-03-03T09:00"],
        ["training", "require", "camera", "cinema-1"],
        ["training", "grant", "ada", "cinema-1", "--expires", "2027-06-30"],
        ["person", "badge", "ada", "04ddeeff"],
        ["person", "revoke-badge", "04a1b2c3"],
    ):
        result = runner.invoke(cli, ["-c", str(config), *args])
        assert result.exit_code == 0, result.output

    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        assert store.kiosk_key("cage-1") == kiosk_cfg.signing_key()
        rows = store.replica_rows(datetime.now(UTC))
        assert rows.badges == [ReplicaBadgeRow(uid="04DDEEFF", person_id="ada")]  # the old one lost
        assert rows.assets[0].code == "CAM-1"
        assert rows.categories == {"camera": ("hours", 48), "lens": ("next_opening", 0)}
        assert rows.requires == {"camera": "cinema-1"}
        assert [(t.person, t.name) for t in rows.trainings] == [("ada", "cinema-1")]
        assert [
            (b.asset, b.person)
            for b in store.replica_rows(datetime(2026, 3, 1, tzinfo=UTC)).bookings
        ] == [("CAM-1", "ada")]
    finally:
        store.close()


def test_bad_kiosk_id_and_duplicates_are_refused(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["-c", str(config), "kiosk", "add", "Cage 1"])
    assert result.exit_code == 2 and "lowercase letters" in result.output
    assert runner.invoke(cli, ["-c", str(config), "kiosk", "add", "cage-2"]).exit_code == 0
    again = runner.invoke(cli, ["-c", str(config), "kiosk", "add", "cage-2"])
    assert again.exit_code != 0 and "exists" in str(again.exception or again.output)


def test_kiosk_refuses_a_broken_config_with_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text("[kiosk]\nid = 'cage-1'\n")
    result = subprocess.run(
        [str(Path(".venv/bin/cagekeeper-kiosk").resolve()), "--config", str(config), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "give exactly one of key or key_file" in result.stderr
    assert "Traceback" not in result.stderr


def test_registry_round_trip_labels_and_maintenance(tmp_path: Path) -> None:
    config = _hub_config(tmp_path)
    runner = CliRunner()

    def hub(*args: str, ok: bool = True) -> str:
        result = runner.invoke(cli, ["-c", str(config), *args])
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0
        return result.output

    sheet = tmp_path / "assets.csv"
    sheet.write_text(
        "code,name,category,home,cost,acquired\n"
        "CAM-1,Canon C70,camera,Film cage,5000,2025-01-01\n"
        "MIC-1,Rode NTG,audio,Sound lab,,\n"
        'OPT-1,"Zeiss, 50mm",lens,Film cage,900,2026-01-01\n'
        "OPT-2,=HYPERLINK(1),lens,Film cage,,\n",
        encoding="utf-8",
    )
    assert "assets imported: 4 added, 0 changed, 0 unchanged" in hub("asset", "import", str(sheet))
    exported = tmp_path / "out.csv"
    hub("asset", "export", "-o", str(exported))
    text = exported.read_text(encoding="utf-8-sig")
    assert "CAM-1,Canon C70,camera,,,,Film cage" in text
    # a bad file is refused whole, with the line named
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,category,cost\nLENS-1,Zeiss,lens,12\nLENS-2,Zeiss,lens,lots\n")
    hub("asset", "import", str(bad), ok=False)
    assert "LENS-1" not in hub("asset", "export")

    pdf = tmp_path / "labels.pdf"
    assert "2 labels on L7651" in hub(
        "asset", "labels", "cam-1", "mic-1", "--stock", "L7651", "-o", str(pdf)
    )
    assert pdf.read_bytes().startswith(b"%PDF")

    assert "MIC-1: maintenance" in hub("asset", "maintenance", "mic-1", "--reason", "hums")
    (line,) = hub("ticket", "list").splitlines()
    ticket_id = line.split("\t")[0]
    assert "manual" in line and "hums" in line
    hub("ticket", "close", ticket_id, "--outcome", "repaired", "--cost", "35")
    assert hub("ticket", "list") == "no open tickets (--all shows closed ones)\n"
    hub("depreciation", "camera", "straight_line", "5")
    valuation = list(csv.reader(io.StringIO(hub("valuation", "--on", "2027-01-01"))))
    assert all(len(row) == 6 for row in valuation)  # a comma in a name stays in its cell
    names = {row[0]: row[1] for row in valuation}
    assert names["OPT-1"] == "Zeiss, 50mm" and names["OPT-2"] == "'=HYPERLINK(1)"
    assert valuation[-1] == [
        "TOTAL",
        "",
        "",
        "",
        "",
        "3721.49",
    ]  # the camera 3001.37, the lens 720.12
    assert "CAM-1: retired" in hub("asset", "retire", "cam-1", "--reason", "replaced")
    hub("asset", "dispose", "cam-1", ok=False)  # a reason is required
    token = hub("token", "create", "ha-bridge", "--role", "viewer").strip()
    assert token.startswith("ckt_") and "ha-bridge" in hub("token", "list")
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    actions = [e.action for e in store.audit_entries()]
    store.close()
    assert {"asset.import", "ticket.close", "asset.retire"} <= set(actions)
    assert not {"cli.asset.import", "cli.ticket.close", "cli.asset.retire"} & set(actions)
    assert not any(a.endswith(("export", "list", "valuation")) for a in actions)
