#!/usr/bin/env bash
# The main job on one machine: installs what it needs, then runs Mosquitto (deploy/ config: TLS
# only, its certificate from a CA made for the run with deploy/tls/pki.sh and openssl), the
# hub on SQLite with its dashboard on localhost, and two simulated kiosks. Extra arguments go to
# cagekeeper-demo (try --help). The dashboard takes port 8080, or a free port if 8080 is taken
# (the URL is printed). Ctrl-C or SIGTERM stops kiosks, hub and broker: exec, so signals reach it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SDL_VIDEODRIVER="${SDL_VIDEODRIVER:-dummy}" SDL_AUDIODRIVER="${SDL_AUDIODRIVER:-dummy}"
export PYGAME_HIDE_SUPPORT_PROMPT=1
exec .venv/bin/cagekeeper-demo "$@"
