/**
 * The contract's input rules over a real port: a request that breaks them is
 * INVALID_ARGUMENT whose buf.validate.Violations detail every kind of client
 * decodes field by field — connect-es over each protocol (gRPC-Web is what
 * browsers speak), grpc-js from the compiled .proto files, and plain JSON.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { create, createFileRegistry, fromBinary, type Registry } from "@bufbuild/protobuf";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
  anyUnpack,
  file_google_protobuf_any,
  type Any,
} from "@bufbuild/protobuf/wkt";
import { ViolationsSchema, type FieldPath } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { UserService } from "../../gen/user/v1/user_pb.js";
import type { UserStore } from "../../server/storage/store.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const TIMEOUT_MS = 5_000;
const root = join(import.meta.dirname, "..", "..");

/** One violation as every client should be able to read it. */
interface ViolationRow {
  readonly field: string;
  readonly ruleId: string;
  readonly message: string;
}

const badUser = { username: "a!", email: "ada@", password: "short" };
const badUserViolations: readonly ViolationRow[] = [
  { field: "username", ruleId: "username.format", message: 'must be 3 to 32 characters of letters, digits, "_", "." or "-"' },
  { field: "email", ruleId: "email.format", message: "must be an email address such as ada@example.com" },
  { field: "password", ruleId: "string.min_len", message: "must be at least 8 characters" },
];
const badUserMessage =
  'username: must be 3 to 32 characters of letters, digits, "_", "." or "-"; ' +
  "email: must be an email address such as ada@example.com; password: must be at least 8 characters";

let server: TestServer;
/** Every RPC but CreateUser needs a token. */
let adminToken: string;

before(async () => {
  server = await startServer();
  adminToken = await server.adminToken();
});

after(async () => {
  await server.close();
});

const transports: readonly { name: string; transport: (interceptors: Interceptor[]) => Transport }[] = [
  { name: "gRPC over HTTP/2", transport: (interceptors) => createGrpcTransport({ baseUrl: server.baseUrl, interceptors }) },
  {
    name: "gRPC-Web over HTTP/1.1",
    transport: (interceptors) => createGrpcWebTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors }),
  },
  {
    name: "Connect JSON over HTTP/1.1",
    transport: (interceptors) => createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", interceptors }),
  },
  {
    name: "Connect binary over HTTP/2",
    transport: (interceptors) =>
      createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors }),
  },
];

for (const row of transports) {
  describe(`validation errors for connect-es over ${row.name}`, { timeout: 30_000 }, () => {
    let client: Client<typeof UserService>;
    before(() => {
      client = createClient(UserService, row.transport([bearer(adminToken)]));
    });
    beforeEach(() => emptyStore(server.store));

    it("CreateUser: INVALID_ARGUMENT with every violation as a typed detail, and nothing stored", async () => {
      const error = await connectError(client.createUser(badUser, { timeoutMs: TIMEOUT_MS }));

      assert.equal(error.rawMessage, badUserMessage);
      assert.deepEqual(connectViolations(error), badUserViolations);
      assert.equal(await countStored(server.store), 0);
    });

    it("GetUser: a malformed id names the field, the rule and the problem", async () => {
      const error = await connectError(client.getUser({ id: "42" }, { timeoutMs: TIMEOUT_MS }));

      assert.equal(error.rawMessage, "id: must be a valid UUID");
      assert.deepEqual(connectViolations(error), [{ field: "id", ruleId: "string.uuid", message: "must be a valid UUID" }]);
    });

    it("ListUsers: a page_size over 1000 fails before any user is sent", async () => {
      await server.store.create({
        id: randomUUID(),
        username: "stored",
        email: "stored@example.com",
        passwordHash: "unused",
        createdAt: 1_700_000_000,
        roles: ["user"],
      });
      let received = 0;

      const error = await connectError(
        (async () => {
          for await (const _ of client.listUsers({ pageSize: 1_001 }, { timeoutMs: TIMEOUT_MS })) received++;
        })(),
      );

      assert.deepEqual(connectViolations(error).map((v) => [v.field, v.ruleId]), [["page_size", "int32.gte_lte"]]);
      assert.equal(received, 0);
    });

    it("ListUsers: a page_token over 512 characters is rejected by the rule, before it is decoded", async () => {
      const error = await connectError(
        (async () => {
          for await (const _ of client.listUsers({ pageToken: "t".repeat(513) }, { timeoutMs: TIMEOUT_MS }));
        })(),
      );

      assert.equal(error.rawMessage, "page_token: must be at most 512 characters");
      assert.deepEqual(connectViolations(error).map((v) => [v.field, v.ruleId]), [["page_token", "string.max_len"]]);
    });

    it("CreateUsers: an invalid 3rd entry is named by its index, and nothing is stored", async () => {
      const entries = ["alan", "barbara", "claude", "dennis"].map((name) => ({
        username: name,
        email: `${name}@example.com`,
        password: "password1",
      }));
      entries[2] = { ...entries[2]!, email: "claude@" };

      const error = await connectError(client.createUsers(fromArray(entries), { timeoutMs: TIMEOUT_MS }));

      assert.equal(error.rawMessage, "entry 2: email: must be an email address such as ada@example.com");
      assert.deepEqual(connectViolations(error), [
        { field: "email", ruleId: "email.format", message: "must be an email address such as ada@example.com" },
      ]);
      assert.equal(await countStored(server.store), 0);
    });
  });
}

describe("validation errors for a grpc-js client", { timeout: 30_000 }, () => {
  // The client knows the contract only as any gRPC client would: the .proto
  // files compiled by protoc (with buf/validate/validate.proto resolved as the
  // generator resolves it), loaded at run time by @grpc/proto-loader.
  let client: grpc.Client;
  let registry: Registry;
  let workDir: string;

  before(() => {
    workDir = mkdtempSync(join(tmpdir(), "contract-image-"));
    const imagePath = join(workDir, "contract.binpb");
    execFileSync("bash", [join(root, "scripts/build-image.sh"), imagePath, join(root, "proto")], { stdio: "pipe" });
    const image = readFileSync(imagePath);
    const definition = protoLoader.loadFileDescriptorSetFromBuffer(image, { defaults: true });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      user: { v1: { UserService: grpc.ServiceClientConstructor } };
    };
    client = new pkg.user.v1.UserService(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure());
    // The detail's types come from the compiled contract too, plus the
    // google.rpc.Status envelope.
    registry = createFileRegistry(
      create(FileDescriptorSetSchema, {
        file: [...fromBinary(FileDescriptorSetSchema, image).file, file_google_protobuf_any.proto, googleRpcStatusFile()],
      }),
    );
  });

  after(() => {
    client?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  beforeEach(() => emptyStore(server.store));

  it("CreateUser: status 3 and grpc-status-details-bin holding each violation", async () => {
    const error = await grpcJsUnary(client, "createUser", badUser);

    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(grpcJsMessage(error), badUserMessage);
    assert.deepEqual(grpcJsViolations(error, registry), badUserViolations);
    assert.equal(await countStored(server.store), 0);
  });

  it("CreateUsers: an invalid 3rd entry is named by its index, and nothing is stored", async () => {
    const error = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const createUsers = (client as unknown as Record<string, GrpcJsClientStream>).createUsers!.bind(client);
      const call = createUsers(
        bearerMetadata(adminToken),
        { deadline: Date.now() + TIMEOUT_MS },
        (e: grpc.ServiceError | null) => (e ? resolve(e) : reject(new Error("the call succeeded"))),
      );
      call.write({ username: "alan", email: "alan@example.com", password: "password1" });
      call.write({ username: "barbara", email: "barbara@example.com", password: "password1" });
      call.write({ username: "claude", email: "claude@example.com", password: "short" });
      call.end();
    });

    assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(grpcJsMessage(error), "entry 2: password: must be at least 8 characters");
    assert.deepEqual(grpcJsViolations(error, registry), [
      { field: "password", ruleId: "string.min_len", message: "must be at least 8 characters" },
    ]);
    assert.equal(await countStored(server.store), 0);
  });
});

describe("validation errors for plain JSON over HTTP (curl)", { timeout: 30_000 }, () => {
  it("carry the message and a buf.validate.Violations detail in the Connect error body", async () => {
    const res = await fetch(`${server.baseUrl}/user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ id: "" }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });

    assert.equal(res.status, 400);
    const body = (await res.json()) as { code: string; message: string; details: { type: string; value: string }[] };
    assert.equal(body.code, "invalid_argument");
    assert.equal(body.message, "id: value is required");
    assert.equal(body.details.length, 1);
    assert.equal(body.details[0]!.type, "buf.validate.Violations");
    const violations = fromBinary(ViolationsSchema, Buffer.from(body.details[0]!.value, "base64"));
    assert.deepEqual(
      violations.violations.map((v) => [pathString(v.field), v.ruleId, v.message]),
      [["id", "required", "value is required"]],
    );
  });

  it("are not shown to a caller without a token: authentication comes first (HTTP 401, unauthenticated)", async () => {
    const res = await fetch(`${server.baseUrl}/user.v1.UserService/GetUser`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "" }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });

    assert.equal(res.status, 401);
    const body = (await res.json()) as { code: string; message: string; details?: unknown[] };
    assert.equal(body.code, "unauthenticated");
    assert.doesNotMatch(body.message, /id: value is required/);
    assert.equal(body.details, undefined, "no violations detail");
  });
});

// --- Helpers -----------------------------------------------------------------

async function connectError(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
  assert.equal(Code[error.code], Code[Code.InvalidArgument], error.message);
  return error;
}

function connectViolations(error: ConnectError): ViolationRow[] {
  const details = error.findDetails(ViolationsSchema);
  assert.equal(details.length, 1, "exactly one buf.validate.Violations detail");
  return details[0]!.violations.map((v) => ({ field: pathString(v.field), ruleId: v.ruleId, message: v.message }));
}

function pathString(path: FieldPath | undefined): string {
  return (path?.elements ?? []).map((e) => e.fieldName).join(".");
}

type GrpcJsUnary = (
  request: unknown,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null) => void,
) => void;
type GrpcJsClientStream = (
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null) => void,
) => grpc.ClientWritableStream<unknown>;

function bearerMetadata(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  return metadata;
}

function grpcJsUnary(client: grpc.Client, method: string, request: unknown): Promise<grpc.ServiceError> {
  const call = (client as unknown as Record<string, GrpcJsUnary>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    call(request, { deadline: Date.now() + TIMEOUT_MS }, (e) => (e ? resolve(e) : reject(new Error("the call succeeded"))));
  });
}

/**
 * The status message as sent. connect-es percent-encodes grpc-message with
 * encodeURIComponent, and grpc-js decodes it with decodeURI, which leaves
 * "%3A" (":"), "%2C" (","), "%3B" (";") and "%40" ("@") encoded: grpc-js
 * users see "username%3A must be ..." in error.details. The typed details
 * below do not have that problem.
 */
function grpcJsMessage(error: grpc.ServiceError): string {
  return decodeURIComponent(error.details);
}

/**
 * Decodes grpc-status-details-bin as any gRPC client does: a google.rpc.Status
 * whose details are Any messages; here one buf.validate.Violations.
 */
function grpcJsViolations(error: grpc.ServiceError, registry: Registry): ViolationRow[] {
  const [raw] = error.metadata.get("grpc-status-details-bin");
  assert.ok(Buffer.isBuffer(raw), "grpc-status-details-bin is present");
  const statusSchema = registry.getMessage("google.rpc.Status")!;
  const status = fromBinary(statusSchema, raw) as unknown as { code: number; message: string; details: Any[] };
  assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
  assert.equal(status.message, grpcJsMessage(error));
  assert.equal(status.details.length, 1);
  const detail = status.details[0]!;
  assert.equal(detail.typeUrl, "type.googleapis.com/buf.validate.Violations");
  const violations = anyUnpack(detail, registry) as unknown as {
    violations: { field?: FieldPath; ruleId: string; message: string }[];
  };
  return violations.violations.map((v) => ({ field: pathString(v.field), ruleId: v.ruleId, message: v.message }));
}

/** google/rpc/status.proto, the envelope of grpc-status-details-bin; three fields. */
function googleRpcStatusFile() {
  const field = (name: string, number: number, type: FieldDescriptorProto_Type, extra: object = {}) => ({
    name,
    number,
    jsonName: name,
    type,
    label: FieldDescriptorProto_Label.OPTIONAL,
    ...extra,
  });
  return create(FileDescriptorProtoSchema, {
    name: "google/rpc/status.proto",
    package: "google.rpc",
    syntax: "proto3",
    dependency: [file_google_protobuf_any.proto.name],
    messageType: [
      {
        name: "Status",
        field: [
          field("code", 1, FieldDescriptorProto_Type.INT32),
          field("message", 2, FieldDescriptorProto_Type.STRING),
          field("details", 3, FieldDescriptorProto_Type.MESSAGE, {
            typeName: ".google.protobuf.Any",
            label: FieldDescriptorProto_Label.REPEATED,
          }),
        ],
      },
    ],
  });
}

async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

async function emptyStore(store: UserStore): Promise<void> {
  for (const user of await store.listPage(undefined, 100_000)) {
    await store.delete(user.id);
  }
}

async function countStored(store: UserStore): Promise<number> {
  return (await store.listPage(undefined, 100_000)).length;
}
