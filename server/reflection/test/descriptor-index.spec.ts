import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createFileRegistry, createRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { Health } from "../../../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../../../gen/user/v1/user_pb.js";
import { createDescriptorIndex } from "../descriptor-index.js";

const index = createDescriptorIndex(createRegistry(UserService, AuthService, Health));
const names = (fileName: string) => index.withImports(fileName)?.map((file) => file.name);

describe("descriptor index", () => {
  it("lists the registry's services, sorted", () => {
    assert.deepEqual(index.services, ["auth.v1.AuthService", "grpc.health.v1.Health", "user.v1.UserService"]);
  });

  it("gives a file first, then everything it imports, each once", () => {
    assert.deepEqual(names("user/v1/user.proto"), [
      "user/v1/user.proto",
      "buf/validate/validate.proto",
      "google/protobuf/descriptor.proto",
      "google/protobuf/duration.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
    ]);
    assert.deepEqual(names("grpc/health/v1/health.proto"), ["grpc/health/v1/health.proto"]);
    assert.deepEqual(names("google/protobuf/duration.proto"), ["google/protobuf/duration.proto"]);
    assert.equal(names("nope.proto"), undefined);
  });

  it("serializes each file as a FileDescriptorProto naming its imports", () => {
    const [user] = index.withImports("user/v1/user.proto")!;
    const proto = fromBinary(FileDescriptorProtoSchema, user!.descriptor);
    assert.equal(proto.name, "user/v1/user.proto");
    assert.equal(proto.package, "user.v1");
    assert.deepEqual(proto.dependency, ["buf/validate/validate.proto"]);
    assert.ok(proto.service.some((service) => service.name === "UserService"));
  });

  it("serves files that link into a complete schema, the well-known imports included", () => {
    // What a reflection client does with the answers: build a registry from them.
    const files = index.withImports("user/v1/user.proto")!.map((file) => fromBinary(FileDescriptorProtoSchema, file.descriptor));
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files.reverse() }));
    assert.equal(registry.getService("user.v1.UserService")?.methods.length, UserService.methods.length);
    assert.equal(registry.getExtension("buf.validate.field")?.extendee.typeName, "google.protobuf.FieldOptions");
  });

  it("finds the file of a symbol of any kind", () => {
    const cases: [string, string][] = [
      ["user.v1.UserService", "user/v1/user.proto"],
      ["user.v1.UserService.GetUser", "user/v1/user.proto"],
      ["user.v1.User", "user/v1/user.proto"],
      ["user.v1.User.email", "user/v1/user.proto"],
      // proto3 optional fields live in a synthetic oneof.
      ["user.v1.UpdateUserRequest._username", "user/v1/user.proto"],
      ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
      // Enum values are scoped beside their enum.
      ["grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
      ["grpc.health.v1.HealthListResponse.StatusesEntry", "grpc/health/v1/health.proto"],
      ["buf.validate.field", "buf/validate/validate.proto"],
      ["google.protobuf.FieldOptions", "google/protobuf/descriptor.proto"],
      ["google.protobuf.Duration", "google/protobuf/duration.proto"],
    ];
    for (const [symbol, file] of cases) {
      assert.equal(index.fileOfSymbol(symbol), file, symbol);
    }
    assert.equal(index.fileOfSymbol("user.v1.Nope"), undefined);
    assert.equal(index.fileOfSymbol("user.v1"), undefined);
  });

  it("finds extensions by extendee and number", () => {
    assert.equal(index.fileOfExtension("google.protobuf.FieldOptions", 1159), "buf/validate/validate.proto");
    assert.equal(index.fileOfExtension("google.protobuf.FieldOptions", 1), undefined);
    assert.ok(index.extensionNumbers("google.protobuf.FieldOptions")?.includes(1159));
    assert.deepEqual(index.extensionNumbers("user.v1.User"), []);
    assert.equal(index.extensionNumbers("user.v1.Nope"), undefined);
  });
});
