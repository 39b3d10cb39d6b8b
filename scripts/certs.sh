#!/usr/bin/env bash
# Makes a local development CA, a server certificate for localhost/127.0.0.1/::1
# and a client certificate (for mTLS), with openssl. Never use these in production.
#
#   scripts/certs.sh [DIR]     (default: ./certs; existing files are kept)
set -euo pipefail
dir=${1:-certs}
mkdir -p "$dir"
cd "$dir"
umask 077

if [ -f ca.pem ] && [ -f server.pem ] && [ -f client.pem ]; then
  echo "certs: $(pwd) already holds ca.pem, server.pem and client.pem (delete them to make new ones)"
  exit 0
fi

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ec_key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 825 -subj "/CN=user-service development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem

issue() { # name subject extensions
  ec_key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -sha256 -days 825 \
    -extfile <(printf '%s\n' "$3") -out "$1.pem" 2>/dev/null
  rm "$1.csr"
}

issue server "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"
issue client "/CN=dev-client" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
rm -f ca.srl
chmod 644 ./*.pem

echo "certs: wrote $(pwd)/{ca,server,client}.{pem,key}"
echo "  TLS:  TLS_CERT=$(pwd)/server.pem TLS_KEY=$(pwd)/server.key npm start"
echo "  mTLS: add TLS_CLIENT_CA=$(pwd)/ca.pem"
