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
# The same protocol behaviours on the general path that unary gRPC calls
# take when the fast path is off (or behind a proxy).
run env UNARY_FAST_PATH=off node --import tsx --test --test-concurrency=1 \
  test/integration/user-service.spec.ts test/integration/validation.spec.ts \
  test/integration/grpc-js-client.spec.ts test/integration/security/*.spec.ts
run npm run --silent test:e2e
