#!/usr/bin/env bash
# protoc compiles proto/ against buf/validate/validate.proto, which buf cannot
# resolve offline (see scripts/build-image.sh). Fresh machines and CI lack it:
# install Debian's protobuf-compiler when we can, or say how to.
set -euo pipefail

if command -v protoc >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-protoc: installing protoc (Debian package protobuf-compiler)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
  exit 0
fi
# -n: fail instead of waiting for a password nobody will type (CI).
if command -v apt-get >/dev/null && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  echo "ensure-protoc: installing protoc (Debian package protobuf-compiler) with sudo" >&2
  sudo -n apt-get update -qq
  sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null
  exit 0
fi
echo "ensure-protoc: protoc is missing; install it (Debian/Ubuntu: apt-get install protobuf-compiler, macOS: brew install protobuf)" >&2
exit 1
