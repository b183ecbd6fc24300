"""The manager's reading commands say what they mean: label sheets without library chatter,
valuations of what the cage owned on the day (to a file with -o), an empty ticket list said
out loud, and a count that flags items seen away from their home."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from hub.cli import cli
from hub.store import Store
from tests.events import KioskFeed
from tests.integration.test_badges import _config

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command as an operator runs it: its own process, logging as configured."""
    return subprocess.run(
        [sys.executable, "-c", "from hub.cli import main; main()", "-c", str(config), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_asset_labels_prints_one_line_and_no_font_logging(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    store.add_asset("CAM-1", "Caméra Ω 1", "camera")  # a name that needs an embedded font
    store.close()
    pdf = tmp_path / "labels.pdf"
    for verbose in ((), ("-v",)):
        done = _run(config, *verbose, "asset", "labels", "cam-1", "-o", str(pdf))
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"1 labels on L7160: {pdf}\n"
        assert "fontTools" not in done.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


def _valuation(text: str) -> dict[str, list[str]]:
    return {row[0]: row for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))}


def test_valuation_leaves_out_what_was_not_bought_yet_and_writes_to_a_file(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    store.add_asset("OLD-1", "Old camera", "camera", cost=Decimal(1000), acquired=date(2025, 1, 1))
    store.add_asset("NEW-1", "New camera", "camera", cost=Decimal(5000), acquired=date(2026, 6, 1))
    store.add_asset("GIFT-1", "Donated tripod", "grip")  # no cost, no date: listed, no value
    store.close()
    runner = CliRunner()

    before = runner.invoke(cli, ["-c", str(config), "valuation", "--on", "2026-01-01"])
    assert before.exit_code == 0, before.output
    rows = _valuation(before.output)
    assert "NEW-1" not in rows  # bought in June: not the cage's on New Year's Day
    assert set(rows) == {"code", "OLD-1", "GIFT-1", "TOTAL"}
    # 365 of five years of 365.25 days gone, straight line: the total is the old camera alone
    assert rows["TOTAL"][-1] == rows["OLD-1"][-1] == "800.14"

    out = tmp_path / "valuation.csv"
    on_the_day = runner.invoke(
        cli, ["-c", str(config), "valuation", "--on", "2026-06-01", "--output", str(out)]
    )
    assert on_the_day.exit_code == 0, on_the_day.output
    assert "NEW-1" not in on_the_day.stdout  # the table went to the file only
    rows = _valuation(out.read_text(encoding="utf-8-sig"))
    assert rows["NEW-1"][-1] == "5000.00"  # bought that day: owned, at cost
    short = runner.invoke(cli, ["-c", str(config), "valuation", "-o", str(out)])
    assert short.exit_code == 0 and "NEW-1" in out.read_text(encoding="utf-8-sig")


def test_an_empty_ticket_list_says_so(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    store.add_asset("MIC-1", "Rode NTG", "audio")
    store.close()
    empty = _run(config, "ticket", "list")
    assert (empty.returncode, empty.stdout) == (0, "")  # a script reading rows reads none
    assert "no open tickets" in empty.stderr
    assert "no tickets" in _run(config, "ticket", "list", "--all").stderr
    _run(config, "asset", "maintenance", "mic-1", "--reason", "hums")
    listed = _run(config, "ticket", "list")
    assert "hums" in listed.stdout and "no open tickets" not in listed.stderr


def test_a_count_flags_items_seen_away_from_their_home(tmp_path: Path) -> None:
    config = _config(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        store.add_kiosk("cage-1", "Film cage", T0, location="Film cage")
        store.add_person("sam", "Sam Okafor", ["04AA0000"], staff=True)
        store.add_asset("CAM-1", "Canon C70", "camera", home="Film cage")
        store.add_asset("MIC-1", "Rode NTG", "audio", home="Sound lab")
        store.add_asset("KEY-1", "Room key", "keys")  # no home: never away from it
        number = store.start_stocktake("Film cage", "manager", T0)
        feed = KioskFeed(store)
        for n, code in enumerate(("CAM-1", "MIC-1", "KEY-1"), 1):
            feed.seen(code, "sam", T0 + timedelta(minutes=n))
        report = store.stocktake_report(number)
        assert [r.code for r in report.seen] == ["CAM-1", "KEY-1", "MIC-1"]
        assert [(r.code, r.home) for r in report.away] == [("MIC-1", "Sound lab")]
    finally:
        store.close()
    done = _run(config, "stocktake", "report", str(number))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "seen\tCAM-1\tCanon C70",
        "seen\tKEY-1\tRoom key",
        "seen\tMIC-1\tRode NTG\taway from home: Sound lab",
    ]
    assert "3 seen (1 away from home), 0 missing" in done.stderr
