#!/usr/bin/env bash
# A venv laid out as deploy/pi/install.sh lays it out on Raspberry Pi OS: the system Python with
# --system-site-packages, so apt's pygame (and spidev) are used rather than PyPI's, plus what the
# kiosk tests need. Used by scripts/test.sh to run the kiosk tests on Debian's pygame.
#   scripts/pi-venv.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:?usage: scripts/pi-venv.sh DIR}"
if [[ ! -x "$venv/bin/python" ]]; then
    /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
stamp="$venv/.installed"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    # the hub too, because the kiosk tests talk to a real hub; the test tools of the dev extra
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".[kiosk,hub,pi]" \
        pytest pytest-timeout "qrcode[pil]" pillow aiosmtpd
    touch "$stamp"
fi
