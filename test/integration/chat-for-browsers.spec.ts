/**
 * Browsers cannot stream requests, so they chat with ChatSubscribe (a server
 * stream) and SendChatMessage (unary) over HTTP/1.1 transports, in the same
 * room as native clients on the bidirectional Chat.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, createClient, type Client, type Transport } from "@connectrpc/connect";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { UserService, type ChatMessage, type ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import { assertConnectError } from "../support/assert-connect-error.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const TIMEOUT_MS = 10_000;

const browserTransports: readonly { name: string; create: (baseUrl: string, token: string) => Transport }[] = [
  {
    name: "Connect JSON over HTTP/1.1",
    create: (baseUrl, token) => createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] }),
  },
  {
    name: "gRPC-Web over HTTP/1.1",
    create: (baseUrl, token) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors: [bearer(token)] }),
  },
];

/** Reads a subscription until a message with `text` arrives (others are skipped). */
async function nextWithText(stream: AsyncIterator<ChatMessage>, text: string): Promise<ChatMessage> {
  for (;;) {
    const next = await stream.next();
    assert.equal(next.done, false, `the stream ended before "${text}" arrived`);
    if (next.value.text === text) {
      return next.value;
    }
  }
}

/**
 * Subscribes and returns once the server has joined the subscriber to the
 * room: it posts markers until one comes back on the subscription.
 */
async function subscribe(client: Client<typeof UserService>, signal: AbortSignal): Promise<AsyncIterator<ChatMessage>> {
  const stream = client.chatSubscribe({}, { signal, timeoutMs: TIMEOUT_MS })[Symbol.asyncIterator]();
  const first = stream.next();
  for (let attempt = 0; attempt < 50; attempt++) {
    await client.sendChatMessage({ text: `joined? ${attempt}` });
    const arrived = await Promise.race([first.then(() => true), sleep(100).then(() => false)]);
    if (arrived) {
      return stream;
    }
  }
  throw new Error("the subscription never received a message");
}

describe("chat for browsers", () => {
  let server: TestServer;
  // A subscription the client aborted may leave its HTTP/1.1 request open on
  // the server until the grace period ends: keep that short here.
  before(async () => (server = await startServer({ env: { SHUTDOWN_GRACE_MS: "200" } })));
  after(() => server.close());

  for (const transport of browserTransports) {
    describe(`over ${transport.name}`, () => {
      it("a subscriber and a native bidi Chat client see each other's messages, stamped with their ids", async () => {
        const browserId = randomUUID();
        const nativeId = randomUUID();
        const browser = createClient(UserService, transport.create(server.baseUrl, await server.tokenFor({ userId: browserId, roles: ["user"] })));
        const native = createClient(
          UserService,
          createGrpcTransport({ baseUrl: server.baseUrl, interceptors: [bearer(await server.tokenFor({ userId: nativeId, roles: ["user"] }))] }),
        );
        const done = new AbortController();
        try {
          const subscription = await subscribe(browser, done.signal);
          const outbox = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
          const chat = native.chat(outbox, { signal: done.signal, timeoutMs: TIMEOUT_MS })[Symbol.asyncIterator]();

          await outbox.write({ text: "from native", userId: browserId });
          const toBrowser = await nextWithText(subscription, "from native");
          assert.equal(toBrowser.userId, nativeId, "the server, not the client, names the sender");
          assert.ok(Math.abs(Number(toBrowser.timestamp) - Date.now()) < 10_000);

          const sent = await browser.sendChatMessage({ text: "from browser" });
          assert.equal(sent.userId, browserId);
          const toNative = await nextWithText(chat, "from browser");
          assert.equal(toNative.userId, browserId);
          assert.equal((await nextWithText(subscription, "from browser")).timestamp, sent.timestamp);
          outbox.close();
        } finally {
          done.abort();
        }
      });

      it("refuses blank or over-long text with INVALID_ARGUMENT", async () => {
        const browser = createClient(UserService, transport.create(server.baseUrl, await server.adminToken()));
        await assertConnectError(browser.sendChatMessage({ text: "   " }), Code.InvalidArgument, /^text: must not be empty or only whitespace$/);
        await assertConnectError(browser.sendChatMessage({ text: "x".repeat(1_001) }), Code.InvalidArgument, /^text: must be at most 1000 characters$/);
      });
    });
  }

  it("needs a token to subscribe or send", async () => {
    const anonymous = createClient(UserService, createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1" }));
    await assertConnectError(anonymous.sendChatMessage({ text: "hi" }), Code.Unauthenticated, /missing access token/);
    const stream = anonymous.chatSubscribe({}, { timeoutMs: TIMEOUT_MS })[Symbol.asyncIterator]();
    await assertConnectError(stream.next(), Code.Unauthenticated, /missing access token/);
  });
});
