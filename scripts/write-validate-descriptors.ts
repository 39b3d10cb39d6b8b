/**
 * Writes a FileDescriptorSet of buf/validate/validate.proto and the
 * well-known types it imports, taken from the installed @bufbuild/protovalidate
 * and @bufbuild/protobuf. protoc reads it with --descriptor_set_in, so proto/
 * compiles against exactly the rules the server enforces at run time, offline,
 * without a copy of validate.proto in this repository.
 *
 * Usage: tsx scripts/write-validate-descriptors.ts OUT_FILE
 */
import { create, toBinary } from "@bufbuild/protobuf";
import type { DescFile } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { writeFileSync } from "node:fs";

const out = process.argv[2];
if (out === undefined) {
  console.error("usage: tsx scripts/write-validate-descriptors.ts OUT_FILE");
  process.exit(2);
}

/** The file and everything it imports, imports first, each once. */
function withImports(file: DescFile, seen = new Set<string>()): FileDescriptorProto[] {
  if (seen.has(file.proto.name)) {
    return [];
  }
  seen.add(file.proto.name);
  const imports = file.dependencies.flatMap((dep) => withImports(dep, seen));
  // Generated code passes imports as code, and older protobuf-es versions
  // leave them out of the embedded descriptor; protoc needs them listed.
  const proto = { ...file.proto, dependency: file.dependencies.map((dep) => dep.proto.name) };
  return [...imports, proto];
}

const set = create(FileDescriptorSetSchema, { file: withImports(file_buf_validate_validate) });
writeFileSync(out, toBinary(FileDescriptorSetSchema, set));
