#!/usr/bin/env bash
# Every check, in order of cost; the first failure stops the run.
set -euo pipefail
cd "$(dirname "$0")/.."

run() {
  echo
  echo "== $*"
  "$@"
}

run npm run --silent lint:proto
run bash scripts/check-breaking.sh
run npm run --silent typecheck
run npm run --silent test:unit
run npm run --silent test:integration
run npm run --silent test:e2e
