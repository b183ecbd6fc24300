#!/usr/bin/env bash
# The hub's private certificate authority (CA): makes it, issues server certificates from it and
# renews them before they expire. Kiosks and the hub trust this CA alone for the broker.
#   pki.sh ca DIR                         DIR/ca.pem and DIR/ca.key (kept if already there)
#   pki.sh issue DIR OUT DAYS SAN...      OUT.pem and OUT.key, valid DAYS, for the names given
#                                         as DNS:hub.example.edu or IP:192.0.2.10
#   pki.sh renew DIR OUT WITHIN [DAYS]    issue OUT again (same names, new key) if it expires
#                                         within WITHIN days; prints "renewed OUT.pem" if it did.
#                                         A certificate not issued by this CA (the site's own)
#                                         is left alone.
# Keys are ECDSA P-256. The CA is valid for 20 years; servers' certificates for DAYS (default
# 365 on renewal). A new certificate replaces the old one whole (written aside, then moved), so
# a service that reloads meanwhile reads either the old pair or the new one.
set -euo pipefail
umask 077

die() { echo "pki.sh: $*" >&2; exit 2; }
work=""
trap '[[ -z $work ]] || rm -rf "$work"' EXIT

make_ca() {
    local dir=$1
    install -d -m 0700 "$dir"
    [[ -f $dir/ca.key && -f $dir/ca.pem ]] && return
    openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
    openssl req -new -x509 -key "$dir/ca.key" -out "$dir/ca.pem" -days 7305 -sha256 \
        -subj "/O=Cagekeeper/CN=Cagekeeper hub CA $(hostname -s) $(date -u +%Y-%m-%d)" \
        -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash"
    chmod 0644 "$dir/ca.pem"
}

issue() {
    local dir=$1 out=$2 days=$3
    shift 3
    (($# > 0)) || die "issue: name at least one DNS: or IP: subject alternative name"
    [[ -f $dir/ca.key ]] || die "no CA in $dir (pki.sh ca $dir)"
    local sans cn
    sans=$(IFS=,; echo "$*")
    cn=${1#*:}
    work=$(mktemp -d)
    openssl ecparam -name prime256v1 -genkey -noout -out "$work/key"
    openssl req -new -key "$work/key" -subj "/O=Cagekeeper/CN=$cn" -out "$work/csr"
    cat > "$work/ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$sans
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -in "$work/csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
        -set_serial "0x$(openssl rand -hex 16)" -days "$days" -sha256 \
        -extfile "$work/ext" -out "$work/pem" 2>/dev/null
    # a renewed pair keeps the owner and mode the service reads it with
    if [[ -f $out.key ]]; then
        chown --reference="$out.key" "$work/key"
        chmod --reference="$out.key" "$work/key"
    fi
    chmod 0644 "$work/pem"
    [[ -f $out.pem ]] && chown --reference="$out.pem" "$work/pem"
    mv "$work/key" "$out.key.new" && mv "$work/pem" "$out.pem.new"
    mv "$out.key.new" "$out.key" && mv "$out.pem.new" "$out.pem"
}

names_of() {
    # "DNS:a, IP Address:192.0.2.1" as openssl prints it -> "DNS:a IP:192.0.2.1"
    openssl x509 -in "$1" -noout -ext subjectAltName |
        tail -n +2 | tr ',' '\n' | sed -e 's/^ *//' -e 's/^IP Address:/IP:/' | grep -v '^$'
}

renew() {
    local dir=$1 out=$2 within=$3 days=${4:-365}
    [[ -f $out.pem ]] || die "no certificate at $out.pem"
    openssl verify -CAfile "$dir/ca.pem" "$out.pem" >/dev/null 2>&1 || return 0
    openssl x509 -in "$out.pem" -noout -checkend $((within * 86400)) >/dev/null && return 0
    local names
    mapfile -t names < <(names_of "$out.pem")
    issue "$dir" "$out" "$days" "${names[@]}"
    echo "renewed $out.pem"
}

case ${1:-} in
    ca) (($# == 2)) || die "usage: pki.sh ca DIR"; make_ca "$2" ;;
    issue) (($# >= 5)) || die "usage: pki.sh issue DIR OUT DAYS SAN..."; shift; issue "$@" ;;
    renew) (($# == 4 || $# == 5)) || die "usage: pki.sh renew DIR OUT WITHIN [DAYS]"; shift; renew "$@" ;;
    *) die "usage: pki.sh ca|issue|renew ..." ;;
esac
