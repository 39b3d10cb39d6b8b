#!/usr/bin/env bash
# Regenerates gen/ from proto/: protoc compiles the contract into an image
# (scripts/build-image.sh), then buf generate runs protoc-gen-es on it.
# Only our own files are generated: buf/validate and the well-known types are
# imported at run time from @bufbuild/protovalidate and @bufbuild/protobuf.
#
# Usage: scripts/generate.sh [OUT_BASE]   writes OUT_BASE/gen (default: the repository)
set -euo pipefail
cd "$(dirname "$0")/.."

base=${1:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash scripts/build-image.sh "$work/proto.binpb"
node_modules/.bin/buf generate "$work/proto.binpb" \
  --template buf.gen.yaml \
  --exclude-path buf/validate \
  --exclude-path google/protobuf \
  -o "$base"
