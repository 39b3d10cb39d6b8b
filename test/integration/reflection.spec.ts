/**
 * Server reflection over a real port: buf curl lists and calls methods with
 * no .proto file at hand, over each protocol; connect-node clients of both
 * reflection versions get a schema complete enough to link; reflection needs
 * no token, but counts against the anonymous rate limit, and can be off.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { create, createFileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { startServer, type TestServer } from "../support/start-server.js";

const root = join(import.meta.dirname, "..", "..");
const buf = join(root, "node_modules", ".bin", "buf");
// Async: the server runs in this process and must keep answering meanwhile.
const run = promisify(execFile);
const CALL_TIMEOUT_MS = 10_000;

/** buf curl from the repository root, where no .proto file is in reach of it without --schema. */
async function bufCurl(args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", ...args], { cwd: root, timeout: 30_000 });
  return stdout;
}

// HTTP/2 because reflection is a bidirectional stream (buf 1.75 switches to
// h2c for reflection even without the flag; older ones need it).
const protocols = ["grpc", "grpcweb", "connect"] as const;

describe("reflection", () => {
  let server: TestServer;
  let userId: string;
  before(async () => {
    server = await startServer();
    const user = await createClient(UserService, createGrpcTransport({ baseUrl: server.baseUrl })).createUser(
      { username: "reflected", email: "reflected@example.com", password: "correct horse" },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    userId = user.id;
  });
  after(() => server.close());

  for (const protocol of protocols) {
    it(`buf curl --reflect lists the methods and calls GetUser over ${protocol}`, async () => {
      const methods = await bufCurl(["--reflect", "--list-methods", "--protocol", protocol, "--http2-prior-knowledge", server.baseUrl]);
      assert.match(methods, /^user\.v1\.UserService\/GetUser$/m);
      assert.match(methods, /^auth\.v1\.AuthService\/Login$/m);
      assert.match(methods, /^grpc\.reflection\.v1\.ServerReflection\/ServerReflectionInfo$/m);
      assert.match(methods, /^grpc\.health\.v1\.Health\/Check$/m);

      const output = await bufCurl([
        "--reflect",
        "--protocol",
        protocol,
        "--http2-prior-knowledge",
        "-H",
        `authorization: Bearer ${await server.adminToken()}`,
        "-d",
        JSON.stringify({ id: userId }),
        `${server.baseUrl}/user.v1.UserService/GetUser`,
      ]);
      assert.equal(JSON.parse(output).username, "reflected");
    });
  }

  for (const { name, service } of [
    { name: "v1", service: v1.ServerReflection },
    { name: "v1alpha", service: v1alpha.ServerReflection },
  ]) {
    it(`answers a gRPC client of grpc.reflection.${name} with a schema that links`, async () => {
      const client = createClient(service as typeof v1.ServerReflection, createGrpcTransport({ baseUrl: server.baseUrl }));
      const responses = [];
      const requests = createAsyncIterable<MessageInitShape<typeof v1.ServerReflectionRequestSchema>>([
        { messageRequest: { case: "listServices", value: "" } },
        { messageRequest: { case: "fileContainingSymbol", value: "user.v1.UserService.GetUser" } },
      ]);
      for await (const response of client.serverReflectionInfo(requests, { timeoutMs: CALL_TIMEOUT_MS })) {
        responses.push(response.messageResponse);
      }
      const [services, files] = responses;
      assert.equal(services?.case, "listServicesResponse");
      assert.ok(services.value.service.some((s) => s.name === "user.v1.UserService"));
      assert.equal(files?.case, "fileDescriptorResponse");
      const protos = files.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
      const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: protos.reverse() }));
      assert.equal(registry.getService("user.v1.UserService")?.method.getUser?.output.typeName, "user.v1.User");
    });
  }
});

describe("reflection limits", () => {
  it("counts against the anonymous rate limit", async () => {
    const server = await startServer({ env: { RATE_LIMIT_ANONYMOUS: "2/min" } });
    try {
      const client = createClient(v1.ServerReflection, createGrpcTransport({ baseUrl: server.baseUrl }));
      const listOnce = async () => {
        const requests = createAsyncIterable([{ messageRequest: { case: "listServices" as const, value: "" } }]);
        for await (const _ of client.serverReflectionInfo(requests, { timeoutMs: CALL_TIMEOUT_MS }));
      };
      await listOnce();
      await listOnce();
      await assert.rejects(listOnce(), (e) => ConnectError.from(e).code === Code.ResourceExhausted);
    } finally {
      await server.close();
    }
  });

  it("is not served with REFLECTION=off", async () => {
    const server = await startServer({ env: { REFLECTION: "off" } });
    try {
      await assert.rejects(
        bufCurl(["--reflect", "--list-methods", "--protocol", "grpc", "--http2-prior-knowledge", server.baseUrl]),
        (e: Error & { stderr?: string }) => /unimplemented/i.test(e.stderr ?? ""),
      );
    } finally {
      await server.close();
    }
  });
});
