#!/usr/bin/env bash
# Installs the hub, its Mosquitto broker (MQTT over TLS on port 8883) and Caddy (HTTPS for the
# dashboard) on a Debian 12 server. Run as root from a checkout:
#   deploy/hub/install.sh [--name NAME]... [--public]
# --name: the hub's host name or IP address as kiosks and browsers reach it (repeat for more;
#   the first is the one written into kiosk configs; default: hostname -f). The broker's and
#   dashboard's certificates carry these names.
# --public: the first name is public; Caddy gets the dashboard's certificate from an ACME CA
#   (Let's Encrypt) itself instead of from the hub's private CA.
# Certificates come from a private CA made here (/etc/cagekeeper/pki) and are renewed by
# cagekeeper-certs.timer; files already in place (the site's own) are kept: deploy/README.md.
# Afterwards: create the first dashboard user and register kiosks (printed at the end).
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) -eq 0 ]] || { echo "run as root" >&2; exit 1; }

names=()
public=0
while (($#)); do
    case $1 in
        --name) [[ -n ${2:-} ]] || { echo "--name needs a value" >&2; exit 1; }; names+=("$2"); shift 2 ;;
        --public) public=1; shift ;;
        *) echo "usage: $0 [--name NAME]... [--public]" >&2; exit 1 ;;
    esac
done
((${#names[@]})) || names=("$(hostname -f)")
sans=()
for n in "${names[@]}"; do
    if [[ $n =~ ^[0-9.]+$ || $n == *:* ]]; then sans+=("IP:$n"); else sans+=("DNS:$n"); fi
done

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mosquitto mosquitto-clients python3-venv \
    fonts-dejavu-core rsync openssl caddy postgresql-client >/dev/null  # pg_dump: backups

id cagekeeper >/dev/null 2>&1 || useradd --system --home /var/lib/cagekeeper-hub \
    --shell /usr/sbin/nologin cagekeeper
install -d -o cagekeeper -g cagekeeper -m 0750 /var/lib/cagekeeper-hub
install -d -m 0755 /opt/cagekeeper /etc/cagekeeper
rsync -a --delete --exclude .venv --exclude .git ./ /opt/cagekeeper/
python3 -m venv /opt/cagekeeper/.venv
/opt/cagekeeper/.venv/bin/pip install -q "/opt/cagekeeper[hub]"

# TLS: the hub's private CA, and the broker's certificate for the hub's names and for localhost
# (the hub's own connection), unless the site put its own in place
pki=deploy/tls/pki.sh
$pki ca /etc/cagekeeper/pki
[[ -f /etc/cagekeeper/broker-ca.pem ]] || install -m 0644 /etc/cagekeeper/pki/ca.pem /etc/cagekeeper/broker-ca.pem
install -d -m 0750 -o mosquitto -g mosquitto /etc/mosquitto/cagekeeper
if [[ ! -f /etc/mosquitto/cagekeeper/broker.pem ]]; then
    $pki issue /etc/cagekeeper/pki /etc/mosquitto/cagekeeper/broker 365 "${sans[@]}" \
        DNS:localhost IP:127.0.0.1
fi
chown root:mosquitto /etc/mosquitto/cagekeeper/broker.key
chmod 0640 /etc/mosquitto/cagekeeper/broker.key

# broker: our config, ACLs and an empty password file with the hub's login
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
if [[ ! -f /etc/cagekeeper/hub.toml ]]; then
    install -m 0640 deploy/hub/hub.toml.example /etc/cagekeeper/hub.toml
    sed -i "s|^# kiosk_host = .*|kiosk_host = \"${names[0]}\"|" /etc/cagekeeper/hub.toml
elif ! grep -q '^tls_ca *=' /etc/cagekeeper/hub.toml; then
    echo "NOTE: /etc/cagekeeper/hub.toml predates TLS: see 'Upgrading' in deploy/README.md" >&2
fi
chown root:cagekeeper /etc/cagekeeper/hub-broker-password /etc/cagekeeper/web-secret /etc/cagekeeper/hub.toml
chmod 0640 /etc/cagekeeper/hub-broker-password /etc/cagekeeper/web-secret

# dashboard: Caddy terminates HTTPS and passes requests to the hub on 127.0.0.1:8080
install -d -m 0750 -o root -g caddy /etc/caddy/cagekeeper
[[ -f /etc/caddy/Caddyfile.dist ]] || cp /etc/caddy/Caddyfile /etc/caddy/Caddyfile.dist
caddyfile=$(sed "s/^cage\.example\.edu {/${names[0]} {/" deploy/caddy/Caddyfile)
if ((public)); then
    caddyfile=$(grep -v '^[[:space:]]*tls /etc/caddy/cagekeeper/' <<<"$caddyfile")
elif [[ ! -f /etc/caddy/cagekeeper/dashboard.pem ]]; then
    $pki issue /etc/cagekeeper/pki /etc/caddy/cagekeeper/dashboard 365 "${sans[@]}"
fi
if [[ -f /etc/caddy/cagekeeper/dashboard.key ]]; then
    chown root:caddy /etc/caddy/cagekeeper/dashboard.key
    chmod 0640 /etc/caddy/cagekeeper/dashboard.key
fi
printf '%s\n' "$caddyfile" > /etc/caddy/Caddyfile
caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile >/dev/null

install -m 0644 deploy/systemd/cagekeeper-hub.service deploy/systemd/cagekeeper-certs.service \
    deploy/systemd/cagekeeper-certs.timer deploy/systemd/cagekeeper-backup.service \
    deploy/systemd/cagekeeper-backup.timer /etc/systemd/system/
systemctl daemon-reload
systemctl restart mosquitto
systemctl enable --now cagekeeper-hub cagekeeper-certs.timer
systemctl enable --now cagekeeper-backup.timer  # daily, into /var/lib/cagekeeper-hub/backups
systemctl enable caddy
systemctl reload-or-restart caddy

cat <<NEXT
Hub installed: MQTT over TLS on ${names[0]}:8883, the dashboard on https://${names[0]}/
Browsers trust the dashboard once /etc/cagekeeper/pki/ca.pem is installed as a CA on them
(unless --public). Next:
  sudo -u cagekeeper /opt/cagekeeper/.venv/bin/cagekeeper-hub user add admin --role admin
  /opt/cagekeeper/.venv/bin/cagekeeper-hub kiosk add cage-1 --name "Film cage" \
      --write-config cage-1.toml && systemctl reload mosquitto
  then copy cage-1.toml to the kiosk as /etc/cagekeeper/kiosk.toml (see deploy/pi/README.md)
NEXT
