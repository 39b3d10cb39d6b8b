#!/usr/bin/env bash
# The contract must stay compatible with every version of it that was ever
# committed: clients generated from any of them keep working. buf breaking
# compares proto/ now with proto/ at each commit that changed it.
set -euo pipefail
cd "$(dirname "$0")/.."

buf=node_modules/.bin/buf
if ! git rev-parse --verify --quiet HEAD >/dev/null; then
  echo "check-breaking: no commits yet, nothing to compare with"
  exit 0
fi
if [ "$(git rev-parse --is-shallow-repository)" = "true" ]; then
  echo "check-breaking: this clone is shallow; run 'git fetch --unshallow' to compare with every earlier contract" >&2
  exit 1
fi

commits=$(git log --format=%H -- proto/)
if [ -z "$commits" ]; then
  echo "check-breaking: no committed contract yet"
  exit 0
fi
count=0
for commit in $commits; do
  "$buf" breaking proto --against ".git#ref=${commit},subdir=proto"
  count=$((count + 1))
done
echo "check-breaking: proto/ is compatible with the contract at each of ${count} commit(s)"
