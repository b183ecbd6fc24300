#!/usr/bin/env bash
# Provisions a Raspberry Pi (Raspberry Pi OS Bookworm, Pi 4/5 or Zero 2 W) as a Cagekeeper kiosk.
# Run as root from a checkout on the Pi:   deploy/pi/install.sh
# then put the kiosk's config (from `cagekeeper-hub kiosk add ... --write-config`) at
# /etc/cagekeeper/kiosk.toml and start the service.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }

apt-get update -qq
# picamera2's libcamera bindings only come from Raspberry Pi OS; its pygame is built on the
# system SDL 2 with KMS/DRM (a desktop-less kiosk needs that); lgpio is the GPIO backend
# gpiozero uses on a Pi 5 (RPi.GPIO does not work there); spidev and numpy from apt need no
# compiler. The venv below sees them all.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-picamera2 \
    python3-pygame python3-lgpio python3-spidev python3-numpy libzbar0 rsync >/dev/null

# SPI for the MFRC522 reader
if command -v raspi-config >/dev/null; then raspi-config nonint do_spi 0; fi

id cagekeeper >/dev/null 2>&1 || useradd --system --home /var/lib/cagekeeper-kiosk \
    --shell /usr/sbin/nologin cagekeeper
for g in gpio spi video input render; do getent group "$g" >/dev/null && usermod -aG "$g" cagekeeper; done
install -d -o cagekeeper -g cagekeeper -m 0750 /var/lib/cagekeeper-kiosk
install -d -m 0755 /opt/cagekeeper /etc/cagekeeper
rsync -a --delete --exclude .venv --exclude .git ./ /opt/cagekeeper/
# --system-site-packages: the venv sees apt's picamera2, pygame, lgpio, spidev and numpy.
# --clear: an upgrade starts afresh, so nothing pip put there earlier (a PyPI pygame without
# KMS/DRM, say) shadows the apt packages.
python3 -m venv --clear --system-site-packages /opt/cagekeeper/.venv
/opt/cagekeeper/.venv/bin/pip install -q "/opt/cagekeeper[kiosk,pi]"

install -m 0644 deploy/systemd/cagekeeper-kiosk.service /etc/systemd/system/
systemctl daemon-reload
systemctl enable cagekeeper-kiosk
if [[ -f /etc/cagekeeper/kiosk.toml ]]; then
    /opt/cagekeeper/.venv/bin/cagekeeper-kiosk --config /etc/cagekeeper/kiosk.toml --check
    systemctl restart cagekeeper-kiosk
else
    echo "Now put the kiosk config at /etc/cagekeeper/kiosk.toml and: systemctl start cagekeeper-kiosk"
fi
