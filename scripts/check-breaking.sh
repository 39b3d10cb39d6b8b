#!/usr/bin/env bash
# The contract must stay compatible with every version of it that was ever
# committed: clients generated from any of them keep working. buf breaking
# compares proto/ now with proto/ at each commit that changed it.
#
# Both sides are images that protoc builds (scripts/build-image.sh): buf cannot
# build proto/ itself offline since it imports buf/validate/validate.proto.
# Imported files are left out of the comparison: they are not our contract.
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

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/build-image.sh "$work/current.binpb"

count=0
for commit in $commits; do
  mkdir "$work/$commit"
  git archive "$commit" proto | tar -x -C "$work/$commit"
  bash scripts/build-image.sh "$work/$commit.binpb" "$work/$commit/proto"
  "$buf" breaking "$work/current.binpb" --against "$work/$commit.binpb" \
    --config proto/buf.yaml \
    --exclude-path buf/validate \
    --exclude-path google/protobuf
  count=$((count + 1))
done
echo "check-breaking: proto/ is compatible with the contract at each of ${count} commit(s)"
