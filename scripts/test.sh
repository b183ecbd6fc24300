#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, then lint, types
# and tests. CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export SDL_VIDEODRIVER=dummy SDL_AUDIODRIVER=dummy PYGAME_HIDE_SUPPORT_PROMPT=1
echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== import contracts (docs/architecture.md)"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/pytest "$@"
echo "== kiosk on Debian's pygame, as the Pi installs it (deploy/pi/install.sh)"
scripts/pi-venv.sh .venv-pi
.venv-pi/bin/python -c 'import pygame; assert pygame.__file__.startswith("/usr/lib/"), pygame.__file__'
.venv-pi/bin/python -m pytest -q -p no:cacheprovider tests/unit/ui \
    tests/unit/test_session_{checkout,cart,returns,rules,staff,faults}.py \
    tests/unit/test_gpio.py tests/unit/test_rfid.py tests/unit/test_camera.py \
    tests/e2e/test_kiosk_to_hub.py tests/e2e/test_door.py \
    tests/integration/test_console.py
