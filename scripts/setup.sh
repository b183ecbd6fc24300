#!/usr/bin/env bash
# Installs what Cagekeeper needs on a Debian machine: system packages and the Python virtual
# environment (.venv) from pyproject.toml. Safe to run again; it only adds what is missing.
#   scripts/setup.sh          the demo: broker, zbar, the hub and kiosk code
#   scripts/setup.sh --test   also the test tools and headless Chromium
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

packages=(mosquitto mosquitto-clients libzbar0 jq openssl sqlite3 ca-certificates fonts-dejavu-core)
# python3-pygame, python3-spidev, python3-venv: the kiosk's Raspberry Pi OS path, tested on
# Debian's own pygame (built on the system SDL 2 with KMS/DRM) in a --system-site-packages venv;
# caddy: the dashboard's HTTPS proxy (deploy/caddy/), run in front of a hub by the tests
((want_test)) && packages+=(chromium postgresql python3-pygame python3-spidev python3-venv caddy)
# slapd, ldap-utils: the directory the LDAP sign-in tests run; nodejs (and npm, unless the
# Node.js install brings its own): the OpenID provider those tests run (tests/idp)
((want_test)) && packages+=(slapd ldap-utils nodejs)
((want_test)) && ! command -v npm >/dev/null && packages+=(npm)
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=""
    [[ $(id -u) -ne 0 ]] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# the test OpenID provider's packages, exactly as locked (tests/idp/package-lock.json)
if ((want_test)) && [[ ! tests/idp/node_modules/.package-lock.json -nt tests/idp/package-lock.json ]]; then
    (cd tests/idp && npm ci --no-audit --no-fund --loglevel=error)
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
stamp=".venv/.installed-$((want_test))"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    extras="kiosk,hub"
    ((want_test)) && extras="dev"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[${extras}]"
    touch "$stamp"
fi
