import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { UserService } from "../../../gen/user/v1/user_pb.js";
import { createServerMetrics, type ServerMetrics } from "../../observability/metrics.js";
import { createMetricsInterceptor } from "../metrics.js";

const SERVICE = "user.v1.UserService";

/** The value of `metric`'s one series whose labels include `labels`, 0 when there is none. */
async function valueOf(
  metric: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number; metricName?: string }[] }> },
  labels: Record<string, string> = {},
  metricName?: string,
): Promise<number> {
  const { values } = await metric.get();
  const matching = values.filter(
    (v) => (metricName === undefined || v.metricName === metricName) && Object.entries(labels).every(([k, x]) => v.labels[k] === x),
  );
  assert.ok(matching.length <= 1, `one series for ${JSON.stringify(labels)}`);
  return matching[0]?.value ?? 0;
}

function clientWith(metrics: ServerMetrics, release: Promise<void> = Promise.resolve()) {
  const transport = createRouterTransport(
    ({ service }) =>
      service(UserService, {
        getUser(req) {
          if (req.id === "missing") {
            throw new ConnectError("no user has id missing", Code.NotFound);
          }
          return { id: req.id };
        },
        async *listUsers() {
          yield { id: "first" };
          await release;
          yield { id: "second" };
        },
        async createUsers(requests) {
          let count = 0;
          for await (const _ of requests) count++;
          return { count };
        },
        async *chat(requests) {
          for await (const message of requests) {
            yield message;
          }
        },
      }),
    { router: { interceptors: [createMetricsInterceptor(metrics)] } },
  );
  return createClient(UserService, transport);
}

describe("metrics interceptor", () => {
  it("counts a unary call's start, its end by code and its duration", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    const client = clientWith(metrics);
    await client.getUser({ id: "a" });
    await client.getUser({ id: "b" });
    await assert.rejects(client.getUser({ id: "missing" }));
    const labels = { service: SERVICE, method: "GetUser", protocol: "connect" };
    assert.equal(await valueOf(metrics.rpcStarted, { ...labels, kind: "unary" }), 3);
    assert.equal(await valueOf(metrics.rpcHandled, { ...labels, kind: "unary", code: "ok" }), 2);
    assert.equal(await valueOf(metrics.rpcHandled, { ...labels, kind: "unary", code: "not_found" }), 1);
    assert.equal(await valueOf(metrics.rpcDuration, labels, "rpc_server_duration_seconds_count"), 3);
    assert.equal(await valueOf(metrics.rpcInFlight), 0);
  });

  it("ends a response stream when its last message is sent, not when the handler returns it", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    let release!: () => void;
    const client = clientWith(metrics, new Promise((resolve) => (release = resolve)));
    const stream = client.listUsers({})[Symbol.asyncIterator]();
    assert.equal((await stream.next()).value?.id, "first");

    const labels = { service: SERVICE, method: "ListUsers" };
    assert.equal(await valueOf(metrics.rpcInFlight), 1);
    assert.equal(await valueOf(metrics.activeStreams, labels), 1);
    assert.equal(await valueOf(metrics.rpcHandled, labels), 0);

    release();
    assert.equal((await stream.next()).value?.id, "second");
    assert.equal((await stream.next()).done, true);
    assert.equal(await valueOf(metrics.rpcHandled, { ...labels, code: "ok" }), 1);
    assert.equal(await valueOf(metrics.activeStreams, labels), 0);
    assert.equal(await valueOf(metrics.rpcInFlight), 0);
    assert.equal(await valueOf(metrics.streamMessagesSent, labels), 2);
  });

  it("counts the messages of request and response streams, not a client stream's single answer", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    const client = clientWith(metrics);
    assert.equal((await client.createUsers(createAsyncIterable([{}, {}, {}]))).count, 3);

    // The in-memory transport sends the whole request stream first.
    const replies: string[] = [];
    for await (const reply of client.chat(createAsyncIterable([{ text: "one" }, { text: "two" }]))) {
      replies.push(reply.text);
    }
    assert.deepEqual(replies, ["one", "two"]);

    const createUsers = { service: SERVICE, method: "CreateUsers" };
    assert.equal(await valueOf(metrics.streamMessagesReceived, createUsers), 3);
    assert.equal(await valueOf(metrics.streamMessagesSent, createUsers), 0);
    const chat = { service: SERVICE, method: "Chat" };
    assert.equal(await valueOf(metrics.streamMessagesReceived, chat), 2);
    assert.equal(await valueOf(metrics.streamMessagesSent, chat), 2);
    assert.equal(await valueOf(metrics.rpcHandled, { ...chat, kind: "bidi_streaming", code: "ok" }), 1);
  });
});
