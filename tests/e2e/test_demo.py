"""The README's main command: the demo runs its whole scenario on real broker, hub and kiosks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hub.localbroker import free_port


def test_demo_scenario_runs_to_the_end(tmp_path: Path) -> None:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "demo.main",
            "--exit-after-script",
            "--folder",
            str(tmp_path / "demo"),
            "--web-port",
            str(free_port()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "dashboard: http://127.0.0.1:" in out and "login:     admin / " in out
    assert "receipt: Canon C70 cinema camera (CAM-0001) due" in out
    assert "out now: CAM-0001" in out  # the lens came back through the door station
    assert "Checked out to someone else" in out
    assert "Scenario done." in out
    assert (tmp_path / "demo" / "screens" / "cage-1.png").exists()
