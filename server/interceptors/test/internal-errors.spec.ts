import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { UserService } from "../../../gen/user/v1/user_pb.js";
import { createInternalErrorsInterceptor } from "../internal-errors.js";

function recordingLogger() {
  const errors: unknown[] = [];
  const log = { error: (obj: unknown) => errors.push(obj) } as unknown as FastifyBaseLogger;
  return { log, errors };
}

function clientFor(log: FastifyBaseLogger, failure: unknown) {
  const transport = createRouterTransport(
    ({ service }) =>
      service(UserService, {
        getUser() {
          throw failure;
        },
        async *listUsers() {
          yield { id: "first" };
          throw failure;
        },
      }),
    { router: { interceptors: [createInternalErrorsInterceptor(log)] } },
  );
  return createClient(UserService, transport);
}

describe("internal errors interceptor", () => {
  it("answers an unexpected unary failure with a generic INTERNAL and logs the detail", async () => {
    const { log, errors } = recordingLogger();
    const client = clientFor(log, new Error("disk /var/lib/secret is on fire"));
    await assert.rejects(client.getUser({}), (e: unknown) => {
      assert.ok(e instanceof ConnectError);
      assert.equal(e.code, Code.Internal);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    assert.equal(errors.length, 1);
    assert.match(String((errors[0] as { err: Error }).err.message), /on fire/);
  });

  it("masks an unexpected failure in the middle of a stream, after the messages sent", async () => {
    const { log, errors } = recordingLogger();
    const client = clientFor(log, new TypeError("cannot read properties of undefined"));
    const received: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const user of client.listUsers({})) received.push(user.id);
      })(),
      (e: unknown) => e instanceof ConnectError && e.code === Code.Internal && !/undefined/.test(e.message),
    );
    assert.deepEqual(received, ["first"]);
    assert.equal(errors.length, 1);
  });

  it("passes ConnectErrors through untouched and unlogged", async () => {
    const { log, errors } = recordingLogger();
    const client = clientFor(log, new ConnectError("no user has id x", Code.NotFound));
    await assert.rejects(client.getUser({}), (e: unknown) => e instanceof ConnectError && e.code === Code.NotFound && e.rawMessage === "no user has id x");
    assert.equal(errors.length, 0);
  });
});
