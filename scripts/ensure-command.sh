#!/usr/bin/env bash
# Makes sure a command the build or the tests need is installed: fresh
# machines and CI start without protoc (scripts/build-image.sh) and Chromium
# (the end-to-end tests; Playwright cannot download its own browser here).
# Installs the Debian package when we can, or says how to.
#
# Usage: scripts/ensure-command.sh COMMAND DEBIAN_PACKAGE [OTHER_SYSTEMS_HINT]
set -euo pipefail

command=${1:?usage: scripts/ensure-command.sh COMMAND DEBIAN_PACKAGE [HINT]}
package=${2:?usage: scripts/ensure-command.sh COMMAND DEBIAN_PACKAGE [HINT]}
hint=${3:-}

if command -v "$command" >/dev/null; then
  exit 0
fi
install() {
  echo "ensure-command: installing $command (Debian package $package)${1:+ $1}" >&2
  $2 apt-get update -qq
  $2 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
}
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  install "" ""
  exit 0
fi
# -n: fail instead of waiting for a password nobody will type (CI).
if command -v apt-get >/dev/null && command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  install "with sudo" "sudo -n"
  exit 0
fi
echo "ensure-command: $command is missing; install it (Debian/Ubuntu: apt-get install $package${hint:+, $hint})" >&2
exit 1
