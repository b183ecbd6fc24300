"""The hub's broker configuration and certificate script ship inside the wheel, and a hub
installed from it starts its local broker with them, far from any source tree."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("wire", "configfile", "rules", "mqttlink", "kiosk", "hub", "demo")
SHIPPED = {
    "hub/deploy_files/mosquitto/cagekeeper.conf": ROOT / "deploy/mosquitto/cagekeeper.conf",
    "hub/deploy_files/mosquitto/acl": ROOT / "deploy/mosquitto/acl",
    "hub/deploy_files/tls/pki.sh": ROOT / "deploy/tls/pki.sh",
    "hub/deploy_files/tls/renew-certs.sh": ROOT / "deploy/tls/renew-certs.sh",
}

# run by the installed copy: its local broker, config and certificate from the package
START_BROKER = """
import sys, tempfile
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import hub.localbroker as lb
assert Path(lb.__file__).is_relative_to(sys.argv[1]), lb.__file__
broker = lb.LocalBroker(Path(tempfile.mkdtemp()), {"kiosk": "a password"})
broker.start()
try:
    print(lb.DEPLOY_DIR)
finally:
    broker.stop()
"""


def build_wheel(tmp: Path) -> Path:
    """The wheel, built from a copy of the source (the build leaves its own files behind)."""
    source = tmp / "source"
    for name in PACKAGES:
        shutil.copytree(
            ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
        )
    for name in ("deploy/mosquitto", "deploy/tls"):
        shutil.copytree(ROOT / name, source / name)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    dist = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "--wheel-dir", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("cagekeeper-*.whl")
    return wheel


def test_the_wheel_ships_the_broker_config_and_an_installed_hub_uses_it(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        for name, original in SHIPPED.items():
            assert zf.read(name) == original.read_bytes(), name
        site = tmp_path / "site"
        zf.extractall(site)  # what pip puts in site-packages for a pure-Python wheel
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run(
        [sys.executable, "-c", START_BROKER, str(site)],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == site / "hub" / "deploy_files" / "mosquitto"
