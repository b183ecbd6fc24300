#!/usr/bin/env bash
# Re-issues the broker's and the dashboard's certificates from the hub's private CA once they
# have fewer than 30 days left, and reloads the service that serves each (Mosquitto and Caddy
# both take a new certificate on reload, without dropping connections). Run daily by
# cagekeeper-certs.timer; safe to run by hand at any time. A certificate the site brought from
# another CA is left alone (pki.sh renew skips it).
# Environment (the installed paths by default): CAGEKEEPER_PKI (the CA's folder),
# CAGEKEEPER_BROKER_CERT and CAGEKEEPER_DASHBOARD_CERT (certificate paths without .pem),
# CAGEKEEPER_RENEW_DAYS.
set -euo pipefail
here=$(dirname "$(readlink -f "$0")")
pki=${CAGEKEEPER_PKI:-/etc/cagekeeper/pki}
within=${CAGEKEEPER_RENEW_DAYS:-30}

renew() {
    local cert=$1 service=$2
    [[ -f $cert.pem ]] || return 0
    if [[ -n $("$here/pki.sh" renew "$pki" "$cert" "$within") ]]; then
        echo "renewed $cert.pem; reloading $service"
        systemctl reload "$service"
    fi
}

renew "${CAGEKEEPER_BROKER_CERT:-/etc/mosquitto/cagekeeper/broker}" mosquitto
renew "${CAGEKEEPER_DASHBOARD_CERT:-/etc/caddy/cagekeeper/dashboard}" caddy
