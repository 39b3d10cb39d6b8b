#!/usr/bin/env bash
# Compiles a proto/ tree into a buf image (a FileDescriptorSet with imports and
# comments) that buf generate, lint and breaking read.
#
# Why protoc and not buf build: proto/ imports buf/validate/validate.proto,
# which buf would fetch from the Buf Schema Registry, and that is out of reach
# offline. The installed @bufbuild/protovalidate carries the file's descriptor;
# scripts/write-validate-descriptors.ts writes it (and the well-known types it
# imports) out, and protoc compiles against it with --descriptor_set_in.
#
# Usage: scripts/build-image.sh OUT_IMAGE [PROTO_DIR]   (PROTO_DIR defaults to proto)
set -euo pipefail

out=${1:?usage: scripts/build-image.sh OUT_IMAGE [PROTO_DIR]}
src=${2:-proto}
root=$(cd "$(dirname "$0")/.." && pwd)

bash "$root/scripts/ensure-command.sh" protoc protobuf-compiler "macOS: brew install protobuf"
mkdir -p "$(dirname "$out")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/node_modules/.bin/tsx" "$root/scripts/write-validate-descriptors.ts" "$work/validate.binpb"

# Paths relative to the module root, as buf names them (user/v1/user.proto).
mapfile -t files < <(cd "$src" && find . -name '*.proto' | sed 's#^\./##' | LC_ALL=C sort)
protoc \
  --proto_path="$src" \
  --descriptor_set_in="$work/validate.binpb" \
  --include_imports \
  --include_source_info \
  --descriptor_set_out="$out" \
  "${files[@]}"
