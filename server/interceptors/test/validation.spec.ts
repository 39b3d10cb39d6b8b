import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, createFileRegistry, setExtension, type Message } from "@bufbuild/protobuf";
import type { GenMessage, GenService } from "@bufbuild/protobuf/codegenv2";
import {
  EmptySchema,
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
  file_google_protobuf_empty,
} from "@bufbuild/protobuf/wkt";
import {
  FieldRulesSchema,
  ViolationsSchema,
  field as fieldRules,
  file_buf_validate_validate,
  type FieldPath,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { Code, ConnectError, createClient, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { UserService, type ChatMessage, type CreateUserRequest } from "../../../gen/user/v1/user_pb.js";
import { createInternalErrorsInterceptor } from "../internal-errors.js";
import { createValidationInterceptor } from "../validation.js";

const ID = "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31";
const validEntry = { username: "ada", email: "ada@example.com", password: "password1" };

/** A UserService whose handlers record what reaches them. */
function recordingService() {
  const seen: { method: string; message: unknown }[] = [];
  const impl: Partial<ServiceImpl<typeof UserService>> = {
    getUser(req) {
      seen.push({ method: "getUser", message: req });
      return { id: req.id };
    },
    async *listUsers(req) {
      seen.push({ method: "listUsers", message: req });
      yield { id: ID };
    },
    async createUsers(requests) {
      let count = 0;
      for await (const req of requests) {
        seen.push({ method: "createUsers", message: req });
        count++;
      }
      return { count };
    },
    async *chat(requests) {
      for await (const message of requests) {
        seen.push({ method: "chat", message });
        yield message;
      }
    },
  };
  const transport = createRouterTransport(({ service }) => service(UserService, impl), {
    router: { interceptors: [createValidationInterceptor({ services: [UserService] })] },
  });
  return { client: createClient(UserService, transport), seen };
}

function pathString(path: FieldPath | undefined): string {
  return (path?.elements ?? []).map((e) => e.fieldName).join(".");
}

/** Asserts INVALID_ARGUMENT with this message, and returns its violations as plain rows. */
async function invalidArgument(call: Promise<unknown>, message: RegExp) {
  const error = await call.then(
    () => assert.fail("the call succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ConnectError, `expected a ConnectError, got ${String(error)}`);
  assert.equal(Code[error.code], Code[Code.InvalidArgument], error.message);
  assert.match(error.rawMessage, message);
  const details = error.findDetails(ViolationsSchema);
  assert.equal(details.length, 1, "one buf.validate.Violations detail");
  return details[0]!.violations.map((v) => ({
    field: pathString(v.field),
    rule: pathString(v.rule),
    ruleId: v.ruleId,
    message: v.message,
  }));
}

async function* stream<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

describe("validation interceptor", () => {
  it("passes a valid unary request to the handler unchanged", async () => {
    const { client, seen } = recordingService();

    assert.equal((await client.getUser({ id: ID })).id, ID);
    assert.equal(seen.length, 1);
  });

  it("answers an invalid unary request with INVALID_ARGUMENT before the handler runs", async () => {
    const { client, seen } = recordingService();

    const violations = await invalidArgument(client.getUser({ id: "42" }), /^id: must be a valid UUID$/);

    assert.deepEqual(violations, [{ field: "id", rule: "string.uuid", ruleId: "string.uuid", message: "must be a valid UUID" }]);
    assert.deepEqual(seen, []);
  });

  it("reports every violation of a message, in the text and as one detail each", async () => {
    const { client } = recordingService();

    const violations = await invalidArgument(
      client.createUsers(stream([{ username: "x", email: "y", password: "z" }])),
      /^entry 0: username: must be 3 to 32 characters of letters, digits, "_", "\." or "-"; email: must be an email address such as ada@example\.com; password: must be at least 8 characters$/,
    );

    assert.deepEqual(violations, [
      {
        field: "username",
        rule: "cel",
        ruleId: "username.format",
        message: 'must be 3 to 32 characters of letters, digits, "_", "." or "-"',
      },
      { field: "email", rule: "cel", ruleId: "email.format", message: "must be an email address such as ada@example.com" },
      { field: "password", rule: "string.min_len", ruleId: "string.min_len", message: "must be at least 8 characters" },
    ]);
  });

  it("checks the request of a server stream before the handler runs, without an index", async () => {
    const { client, seen } = recordingService();

    const violations = await invalidArgument(
      (async () => {
        for await (const _ of client.listUsers({ pageSize: 1001 }));
      })(),
      /^page_size: must be greater than or equal to 0 and less than or equal to 1000$/,
    );

    assert.deepEqual(violations.map((v) => [v.field, v.ruleId]), [["page_size", "int32.gte_lte"]]);
    assert.deepEqual(seen, []);
  });

  it("checks each message of a client stream and names the bad entry's index; the handler never sees it", async () => {
    const { client, seen } = recordingService();
    const entries = [validEntry, { ...validEntry, username: "grace" }, { ...validEntry, email: "nope" }, validEntry];

    const violations = await invalidArgument(
      client.createUsers(stream(entries)),
      /^entry 2: email: must be an email address such as ada@example\.com$/,
    );

    assert.deepEqual(violations.map((v) => [v.field, v.ruleId]), [["email", "email.format"]]);
    assert.deepEqual(
      seen.map((s) => (s.message as CreateUserRequest).username),
      ["ada", "grace"],
    );
  });

  it("checks each message of a bidi stream and names its index", async () => {
    const { client, seen } = recordingService();
    const received: string[] = [];

    const violations = await invalidArgument(
      (async () => {
        for await (const m of client.chat(stream([{ text: "hello" }, { text: "   " }, { text: "never relayed" }]))) {
          received.push(m.text);
        }
      })(),
      /^message 1: text: must not be empty or only whitespace$/,
    );

    assert.deepEqual(violations.map((v) => [v.field, v.ruleId]), [["text", "text.not_blank"]]);
    assert.deepEqual(received, ["hello"]);
    assert.deepEqual(
      seen.map((s) => (s.message as ChatMessage).text),
      ["hello"],
    );
  });

  it("refuses to start when a rule of a served method does not compile", () => {
    const service = serviceWithRule("this +");

    assert.throws(() => createValidationInterceptor({ services: [service] }), /rules of test\.v1\.Probe do not compile/);
  });

  it("lets a rule that fails to evaluate surface as a server error, not INVALID_ARGUMENT", async () => {
    // Valid when empty (so the interceptor starts); a division by zero otherwise.
    const service = serviceWithRule("this == '' || 1 / (this.size() - this.size()) == 0");
    const logged: unknown[] = [];
    const log = { error: (obj: unknown) => logged.push(obj) } as unknown as FastifyBaseLogger;
    const transport = createRouterTransport(
      ({ service: add }) => add(service, { probe: () => ({}) }),
      { router: { interceptors: [createInternalErrorsInterceptor(log), createValidationInterceptor({ services: [service] })] } },
    );
    const client = createClient(service, transport);

    await assert.rejects(client.probe({ value: "x" }), (e: unknown) => e instanceof ConnectError && e.code === Code.Internal);
    assert.equal(logged.length, 1);
  });
});

type Probe = Message<"test.v1.Probe"> & { value: string };
type ProbeService = GenService<{
  probe: { methodKind: "unary"; input: GenMessage<Probe>; output: typeof EmptySchema };
}>;

/** A one-method service whose input has a string `value` with one CEL rule. */
function serviceWithRule(expression: string): ProbeService {
  const options = create(FieldOptionsSchema);
  setExtension(options, fieldRules, create(FieldRulesSchema, { cel: [{ id: "probe", expression }] }));
  const registry = createFileRegistry(
    create(FileDescriptorProtoSchema, {
      name: "test/v1/probe.proto",
      package: "test.v1",
      syntax: "proto3",
      dependency: [file_buf_validate_validate.proto.name, file_google_protobuf_empty.proto.name],
      messageType: [
        {
          name: "Probe",
          field: [
            {
              name: "value",
              jsonName: "value",
              number: 1,
              type: FieldDescriptorProto_Type.STRING,
              label: FieldDescriptorProto_Label.OPTIONAL,
              options,
            },
          ],
        },
      ],
      service: [{ name: "ProbeService", method: [{ name: "Probe", inputType: ".test.v1.Probe", outputType: ".google.protobuf.Empty" }] }],
    }),
    (name) =>
      [file_buf_validate_validate, file_google_protobuf_empty, ...file_buf_validate_validate.dependencies].find(
        (f) => f.proto.name === name,
      ),
  );
  return registry.getService("test.v1.ProbeService") as unknown as ProbeService;
}
