import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient, createRouterTransport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import * as v1 from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { UserService } from "../../../gen/user/v1/user_pb.js";
import { registerReflection } from "../register-reflection.js";

const transport = createRouterTransport((router) => registerReflection(router, createRegistry(UserService)));

// The two versions have the same messages; each is called with its own schema.
const versions = [
  { name: "v1", service: v1.ServerReflection },
  { name: "v1alpha", service: v1alpha.ServerReflection },
] as const;

type Request = MessageInitShape<typeof v1.ServerReflectionRequestSchema>;

for (const { name, service } of versions) {
  describe(`registerReflection: grpc.reflection.${name}`, () => {
    // One stream, several questions: as reflection clients use it.
    async function askAll(requests: Request[]) {
      const client = createClient(service as typeof v1.ServerReflection, transport);
      const responses = [];
      for await (const response of client.serverReflectionInfo(createAsyncIterable(requests))) {
        responses.push(response);
      }
      return responses;
    }

    it("lists the registry's services and both reflection services", async () => {
      const [response] = await askAll([{ messageRequest: { case: "listServices", value: "*" } }]);
      assert.equal(response?.messageResponse.case, "listServicesResponse");
      assert.deepEqual(
        response.messageResponse.value.service.map((s) => s.name),
        ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection", "user.v1.UserService"],
      );
    });

    it("answers each request in order on one stream, errors in band, echoing the request", async () => {
      const responses = await askAll([
        { host: "example", messageRequest: { case: "fileContainingSymbol", value: "user.v1.Nope" } },
        { messageRequest: { case: "fileContainingSymbol", value: `grpc.reflection.${name}.ServerReflection` } },
      ]);
      assert.equal(responses.length, 2);
      const [notFound, found] = responses;
      assert.equal(notFound?.validHost, "example");
      assert.equal(notFound?.originalRequest?.messageRequest.value, "user.v1.Nope");
      assert.equal(notFound?.messageResponse.case, "errorResponse");
      assert.equal(notFound.messageResponse.value.errorCode, Code.NotFound);
      assert.equal(found?.messageResponse.case, "fileDescriptorResponse");
      const file = fromBinary(FileDescriptorProtoSchema, found.messageResponse.value.fileDescriptorProto[0]!);
      assert.equal(file.name, `grpc/reflection/${name}/reflection.proto`);
    });
  });
}
