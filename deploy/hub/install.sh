#!/usr/bin/env bash
# Installs the hub and its Mosquitto broker on a Debian 12 server. Run as root from a checkout:
#   deploy/hub/install.sh
# Afterwards: create the first dashboard user and register kiosks (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients python3-venv \
    fonts-dejavu-core rsync >/dev/null

id cagekeeper >/dev/null 2>&1 || useradd --system --home /var/lib/cagekeeper-hub \
    --shell /usr/sbin/nologin cagekeeper
install -d -o cagekeeper -g cagekeeper -m 0750 /var/lib/cagekeeper-hub
install -d -m 0755 /opt/cagekeeper /etc/cagekeeper
rsync -a --delete --exclude .venv --exclude .git ./ /opt/cagekeeper/
python3 -m venv /opt/cagekeeper/.venv
/opt/cagekeeper/.venv/bin/pip install -q "/opt/cagekeeper[hub]"

# broker: our config, ACLs and an empty password file with the hub's login
install -d -m 0750 -o mosquitto -g mosquitto /etc/mosquitto/cagekeeper
[[ -f /etc/mosquitto/mosquitto.conf.dist ]] || \
    cp /etc/mosquitto/mosquitto.conf /etc/mosquitto/mosquitto.conf.dist
install -m 0644 deploy/mosquitto/cagekeeper.conf /etc/mosquitto/mosquitto.conf
install -m 0640 -o mosquitto -g mosquitto deploy/mosquitto/acl /etc/mosquitto/cagekeeper/acl
if [[ ! -f /etc/cagekeeper/hub-broker-password ]]; then
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > /etc/cagekeeper/hub-broker-password
    touch /etc/mosquitto/cagekeeper/passwd
    mosquitto_passwd -b /etc/mosquitto/cagekeeper/passwd hub "$(cat /etc/cagekeeper/hub-broker-password)"
fi
chown mosquitto:mosquitto /etc/mosquitto/cagekeeper/passwd
chmod 0640 /etc/mosquitto/cagekeeper/passwd
[[ -f /etc/cagekeeper/web-secret ]] || head -c 48 /dev/urandom | base64 > /etc/cagekeeper/web-secret
[[ -f /etc/cagekeeper/hub.toml ]] || install -m 0640 deploy/hub/hub.toml.example /etc/cagekeeper/hub.toml
chown root:cagekeeper /etc/cagekeeper/hub-broker-password /etc/cagekeeper/web-secret /etc/cagekeeper/hub.toml
chmod 0640 /etc/cagekeeper/hub-broker-password /etc/cagekeeper/web-secret

install -m 0644 deploy/systemd/cagekeeper-hub.service /etc/systemd/system/
install -m 0644 deploy/systemd/cagekeeper-backup.service deploy/systemd/cagekeeper-backup.timer \
    /etc/systemd/system/
systemctl daemon-reload
systemctl restart mosquitto
systemctl enable --now cagekeeper-hub
systemctl enable --now cagekeeper-backup.timer  # daily, into /var/lib/cagekeeper-hub/backups

cat <<'NEXT'
Hub installed. Next:
  sudo -u cagekeeper /opt/cagekeeper/.venv/bin/cagekeeper-hub user add admin --role admin
  /opt/cagekeeper/.venv/bin/cagekeeper-hub kiosk add cage-1 --name "Film cage" \
      --write-config cage-1.toml && systemctl reload mosquitto
  then copy cage-1.toml to the kiosk as /etc/cagekeeper/kiosk.toml (see deploy/pi/README.md)
NEXT
