#!/usr/bin/env bash
# buf lint on the contract, and buf format on its sources.
#
# Lint reads the image protoc builds (scripts/build-image.sh), because buf
# cannot resolve buf/validate/validate.proto from proto/ offline; the imported
# files are not ours to lint. Format needs no imports, so it reads proto/.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/build-image.sh "$work/proto.binpb"
node_modules/.bin/buf lint "$work/proto.binpb" \
  --config proto/buf.yaml \
  --exclude-path buf/validate \
  --exclude-path google/protobuf
node_modules/.bin/buf format proto --diff --exit-code
