#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Makes the test PKI into OUT (run by CMake at configure time, so every build has fresh
# keys and nothing secret is committed). EC P-256 keys throughout.
#
#   ca.pem                 the CA the firmware trusts
#   server.pem/.key        localhost, signed by the CA               -> accepted
#   other-ca-server.pem    localhost, signed by an unrelated CA      -> refused
#   wrong-host-server.pem  not-this-host.invalid, signed by the CA   -> refused
#   expired-server.pem     localhost, signed by the CA, expired 2020 -> refused
#   client.pem/.key        the firmware's own certificate, for mutual TLS
#   *.nul                  the same PEM with a NUL byte appended (mbedTLS wants it)
set -euo pipefail
out=${1:?usage: gen-certs.sh OUT}
mkdir -p "$out"
cd "$out"

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null; }

# Two CAs: the trusted one and an unrelated one.
for ca in ca other-ca; do
  key "$ca.key"
  openssl req -x509 -new -key "$ca.key" -sha256 -days 30 -subj "/CN=zmqtt test $ca" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -out "$ca.pem" 2>/dev/null
done

# sign NAME CA SAN [STARTDATE ENDDATE]: a server or client certificate signed with `openssl ca`,
# which (unlike `x509 -req` in OpenSSL 3.0) can set validity dates in the past.
sign() {
  local name=$1 ca=$2 san=$3 start=${4:-} end=${5:-}
  key "$name.key"
  openssl req -new -key "$name.key" -subj "/CN=${san#*:}" -out "$name.csr" 2>/dev/null
  mkdir -p "db-$name"
  : > "db-$name/index.txt"
  cat > "db-$name/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
database = db-$name/index.txt
new_certs_dir = db-$name
serial = db-$name/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = ext
[any]
commonName = supplied
[ext]
basicConstraints = CA:FALSE
subjectAltName = $san
CNF
  openssl rand -hex 8 > "db-$name/serial"
  local dates=(-days 30)
  [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
  openssl ca -batch -config "db-$name/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
    "${dates[@]}" -in "$name.csr" -out "$name.pem" -notext 2>/dev/null
  rm -rf "db-$name" "$name.csr"
}

sign server ca "DNS:localhost,IP:127.0.0.1"
sign other-ca-server other-ca "DNS:localhost,IP:127.0.0.1"
sign wrong-host-server ca "DNS:not-this-host.invalid"
sign expired-server ca "DNS:localhost,IP:127.0.0.1" 20200101000000Z 20200102000000Z
sign client ca "DNS:zmqtt-tls-test"

for f in ca.pem client.pem client.key; do
  cat "$f" > "$f.nul"
  printf '\0' >> "$f.nul"
done
