import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { beforeEach, describe, it } from "node:test";
import { context, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { registerContextManager } from "../../observability/tracing.js";
import { createMemoryStore } from "../memory.js";
import { DuplicateUserError, type StoredUser, type UserStore } from "../store.js";
import { createTracedStore } from "../traced-store.js";
import { describeStoreContract } from "./store-contract.js";

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer("test");
registerContextManager();

// Outside a trace the wrapper only passes calls on: the store still keeps its contract.
describeStoreContract("traced memory", () => createTracedStore(createMemoryStore(), tracer, "memory"));

function user(name: string): StoredUser {
  return { id: randomUUID(), username: name, email: `${name}@example.com`, passwordHash: "h", createdAt: 1, roles: ["user"] };
}

/** Runs `fn` with a span current, as an RPC handler runs; returns that span. */
async function inRpc(fn: () => Promise<unknown>): Promise<Span> {
  const rpc = tracer.startSpan("rpc");
  await context.with(trace.setSpan(context.active(), rpc), fn).catch(() => {});
  rpc.end();
  return rpc;
}

describe("traced store", () => {
  let store: UserStore;
  beforeEach(() => {
    store = createTracedStore(createMemoryStore(), tracer, "memory");
    exporter.reset();
  });

  it("makes a child span of the current span for each call, named for the method", async () => {
    const ada = user("ada");
    let found: StoredUser | undefined;
    const rpc = await inRpc(async () => {
      await store.create(ada);
      found = await store.get(ada.id);
    });
    assert.deepEqual(found, ada);
    const spans = exporter.getFinishedSpans().filter((s) => s.name !== "rpc");
    assert.deepEqual(
      spans.map((s) => [s.name, s.parentSpanContext?.spanId, s.attributes]),
      [
        ["UserStore.create", rpc.spanContext().spanId, { "db.system.name": "memory", "db.operation.name": "create" }],
        ["UserStore.get", rpc.spanContext().spanId, { "db.system.name": "memory", "db.operation.name": "get" }],
      ],
    );
  });

  it("says how many rows a list returned", async () => {
    await store.createMany([user("a"), user("b"), user("c")]);
    await inRpc(() => store.listPage(undefined, 2));
    const [page] = exporter.getFinishedSpans().filter((s) => s.name === "UserStore.listPage");
    assert.equal(page?.attributes["db.response.returned_rows"], 2);
  });

  it("marks a failed call with its error's class only, and rethrows the error itself", async () => {
    const ada = user("ada");
    await store.create(ada);
    let thrown: unknown;
    await inRpc(() => store.create({ ...user("other"), username: ada.username }).catch((e: unknown) => {
      thrown = e;
      throw e;
    }));
    assert.ok(thrown instanceof DuplicateUserError);
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === "UserStore.create");
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.status.message, undefined);
    assert.equal(span?.attributes["error.type"], "DuplicateUserError");
  });

  it("makes no span outside a trace, nor for ping and close", async () => {
    await store.get(randomUUID());
    await inRpc(() => store.ping());
    await store.close();
    assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ["rpc"]);
  });
});
