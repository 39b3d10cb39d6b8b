import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { UserService } from "../../../gen/user/v1/user_pb.js";
import { createReflector, type ReflectionAnswer, type ReflectionRequest } from "../reflector.js";

const reflector = createReflector(createRegistry(UserService));

function ask(messageRequest: ReflectionRequest["messageRequest"], sentFiles = new Set<string>()): ReflectionAnswer {
  return reflector.answer({ messageRequest }, sentFiles);
}

function fileNames(answer: ReflectionAnswer): string[] {
  assert.equal(answer.case, "fileDescriptorResponse", JSON.stringify(answer.value));
  return answer.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}

function errorOf(answer: ReflectionAnswer): { errorCode: number; errorMessage: string } {
  assert.equal(answer.case, "errorResponse");
  return answer.value;
}

describe("reflector", () => {
  it("lists services", () => {
    assert.deepEqual(ask({ case: "listServices", value: "" }), {
      case: "listServicesResponse",
      value: { service: [{ name: "user.v1.UserService" }] },
    });
  });

  it("answers a file by name or by symbol, with its imports", () => {
    const byName = fileNames(ask({ case: "fileByFilename", value: "user/v1/user.proto" }));
    const bySymbol = fileNames(ask({ case: "fileContainingSymbol", value: "user.v1.UserService.ListUsers" }));
    assert.deepEqual(bySymbol, byName);
    assert.equal(byName[0], "user/v1/user.proto");
    assert.ok(byName.includes("google/protobuf/descriptor.proto"));
  });

  it("answers an extension's file and a type's extension numbers", () => {
    const files = fileNames(
      ask({ case: "fileContainingExtension", value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1159 } }),
    );
    assert.equal(files[0], "buf/validate/validate.proto");
    const numbers = ask({ case: "allExtensionNumbersOfType", value: "google.protobuf.FieldOptions" });
    assert.equal(numbers.case, "allExtensionNumbersResponse");
    assert.equal(numbers.value.baseTypeName, "google.protobuf.FieldOptions");
    assert.ok(numbers.value.extensionNumber.includes(1159));
  });

  it("leaves out files already sent on the stream, but never the one asked for", () => {
    const sent = new Set<string>();
    const first = fileNames(ask({ case: "fileByFilename", value: "user/v1/user.proto" }, sent));
    assert.ok(first.length > 1);
    assert.deepEqual(fileNames(ask({ case: "fileContainingSymbol", value: "user.v1.User" }, sent)), ["user/v1/user.proto"]);
    assert.deepEqual(fileNames(ask({ case: "fileContainingSymbol", value: "google.protobuf.Duration" }, sent)), [
      "google/protobuf/duration.proto",
    ]);
  });

  it("answers NOT_FOUND for what it does not know", () => {
    const unknown: ReflectionRequest["messageRequest"][] = [
      { case: "fileByFilename", value: "nope.proto" },
      { case: "fileContainingSymbol", value: "user.v1.Nope" },
      { case: "fileContainingExtension", value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 99999 } },
      { case: "fileContainingExtension", value: { containingType: "user.v1.Nope", extensionNumber: 1 } },
      { case: "allExtensionNumbersOfType", value: "user.v1.Nope" },
    ];
    for (const request of unknown) {
      const error = errorOf(ask(request));
      assert.equal(error.errorCode, Code.NotFound, JSON.stringify(request));
      assert.match(error.errorMessage, /nope|99999/i);
    }
  });

  it("answers INVALID_ARGUMENT for a request that asks nothing", () => {
    assert.equal(errorOf(ask({ case: undefined })).errorCode, Code.InvalidArgument);
  });
});
