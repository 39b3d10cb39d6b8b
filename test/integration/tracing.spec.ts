/**
 * Traces over a real port, caught by an in-memory exporter: one SERVER span
 * per RPC with the RPC conventions' attributes and code over gRPC, gRPC-Web
 * and Connect, its parent from the caller's `traceparent`, storage calls as
 * its children (also while a stream is being pulled), a stream's span ending
 * with the stream; and with tracing off, no span at all.
 *
 * Each call sends a traceparent with a trace id of its own, so a test reads
 * exactly the spans of its call.
 */
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { Code, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { MAX_MESSAGE_EVENTS } from "../../server/interceptors/tracing.js";
import { LIST_BATCH_SIZE } from "../../server/services/user-service.js";
import { createMemoryStore } from "../../server/storage/memory.js";
import type { StoredUser, UserStore } from "../../server/storage/store.js";
import { assertConnectError } from "../support/assert-connect-error.js";
import { createLogCapture } from "../support/log-capture.js";
import { createSpanCapture } from "../support/span-capture.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const TIMEOUT_MS = 5_000;
/** More than one storage batch, so that ListUsers reads storage again mid-stream. */
const USER_COUNT = LIST_BATCH_SIZE + 100;
/** GetUser of this id fails inside storage: a server fault, as the client sees it INTERNAL. */
const BROKEN_ID = randomUUID();
const STORAGE_FAULT = "the disk is on fire";

interface TransportRow {
  readonly name: string;
  readonly rpcSystem: "grpc" | "connect_rpc";
  readonly httpVersion: "1.1" | "2";
  create(baseUrl: string, interceptors: Interceptor[]): Transport;
}

const transports: readonly TransportRow[] = [
  {
    name: "gRPC over HTTP/2",
    rpcSystem: "grpc",
    httpVersion: "2",
    create: (baseUrl, interceptors) => createGrpcTransport({ baseUrl, interceptors, defaultTimeoutMs: TIMEOUT_MS }),
  },
  {
    name: "gRPC-Web over HTTP/1.1",
    rpcSystem: "grpc",
    httpVersion: "1.1",
    create: (baseUrl, interceptors) =>
      createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors, defaultTimeoutMs: TIMEOUT_MS }),
  },
  {
    name: "Connect JSON over HTTP/1.1",
    rpcSystem: "connect_rpc",
    httpVersion: "1.1",
    create: (baseUrl, interceptors) =>
      createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors, defaultTimeoutMs: TIMEOUT_MS }),
  },
  {
    name: "Connect binary over HTTP/2",
    rpcSystem: "connect_rpc",
    httpVersion: "2",
    create: (baseUrl, interceptors) =>
      createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: true, interceptors, defaultTimeoutMs: TIMEOUT_MS }),
  },
];

/** A caller's span, as a traceparent (and tracestate) sent with one call. */
interface CallerSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly interceptor: Interceptor;
}

function callerSpan(sampled = true): CallerSpan {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return {
    traceId,
    spanId,
    interceptor: (next) => (req) => {
      req.header.set("traceparent", `00-${traceId}-${spanId}-${sampled ? "01" : "00"}`);
      req.header.set("tracestate", "caller=kept");
      return next(req);
    },
  };
}

function makeUsers(count: number): StoredUser[] {
  return Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    username: `traced_${i}`,
    email: `traced_${i}@example.com`,
    // Never logged in with: no need to hash.
    passwordHash: "scrypt$dummy",
    createdAt: 1_600_000_000 + i,
    roles: ["user"],
  }));
}

/** A memory store whose get() fails for BROKEN_ID, as a broken backend would. */
function storeWithAFault(): UserStore {
  const store = createMemoryStore();
  const get = store.get.bind(store);
  return {
    ...store,
    get: (id) => (id === BROKEN_ID ? Promise.reject(new Error(STORAGE_FAULT)) : get(id)),
  };
}

describe("traces", () => {
  const { exporter, tracerProvider } = createSpanCapture();
  let server: TestServer;
  let token: string;
  let someUser: StoredUser;

  before(async () => {
    server = await startServer({ store: storeWithAFault(), tracerProvider });
    const users = makeUsers(USER_COUNT);
    await server.store.createMany(users);
    someUser = users[0]!;
    token = await server.tokenFor({ userId: someUser.id, roles: ["user"] });
  });
  after(() => server.close());

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);

  /** The one SERVER span of the trace, and the spans under it. */
  function rpcSpanOf(traceId: string): { span: ReadableSpan; children: ReadableSpan[] } {
    const spans = spansOf(traceId);
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    assert.equal(servers.length, 1, `one SERVER span per RPC, got ${spans.map((s) => s.name).join(", ")}`);
    const span = servers[0]!;
    const children = spans.filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId);
    return { span, children };
  }

  for (const transport of transports) {
    describe(`over ${transport.name}`, () => {
      const client = (caller: CallerSpan, withToken = true) =>
        createClient(
          UserService,
          transport.create(server.baseUrl, withToken ? [bearer(token), caller.interceptor] : [caller.interceptor]),
        );

      it("a unary call has one SERVER span with the RPC's attributes, the caller's span as parent and storage as a child", async () => {
        const caller = callerSpan();
        await client(caller).getUser({ id: someUser.id });

        const { span, children } = rpcSpanOf(caller.traceId);
        assert.equal(span.name, "user.v1.UserService/GetUser");
        assert.deepEqual(span.attributes, {
          "rpc.system": transport.rpcSystem,
          "rpc.service": "user.v1.UserService",
          "rpc.method": "GetUser",
          "server.address": "127.0.0.1",
          "server.port": server.port,
          "network.protocol.name": "http",
          "network.protocol.version": transport.httpVersion,
          // gRPC always says its code; Connect only on errors.
          ...(transport.rpcSystem === "grpc" && { "rpc.grpc.status_code": 0 }),
        });
        assert.equal(span.status.code, SpanStatusCode.UNSET);
        assert.deepEqual(span.events, [], "no message events for unary calls");
        assert.equal(span.parentSpanContext?.spanId, caller.spanId);
        assert.equal(span.parentSpanContext?.isRemote, true);
        assert.equal(span.spanContext().traceState?.get("caller"), "kept");

        assert.deepEqual(
          children.map((c) => [c.name, c.kind, c.attributes["db.system.name"], c.attributes["db.operation.name"]]),
          [["UserStore.get", SpanKind.CLIENT, "memory", "get"]],
        );
      });

      it("a server stream's span ends with the stream, counts its messages and parents every storage page read while it is pulled", async () => {
        const caller = callerSpan();
        // Every user: those made here, and those other tests import.
        let received = 0;
        for await (const _ of client(caller).listUsers({})) {
          received++;
        }
        assert.ok(received >= USER_COUNT);

        const { span, children } = rpcSpanOf(caller.traceId);
        assert.equal(span.name, "user.v1.UserService/ListUsers");
        assert.equal(span.attributes["stream.messages_sent"], received);
        assert.equal(span.attributes["stream.messages_received"], undefined, "the one request of a server stream is not counted");
        assert.deepEqual(
          span.events.map((e) => [e.name, e.attributes?.["rpc.message.type"], e.attributes?.["rpc.message.id"]]),
          Array.from({ length: MAX_MESSAGE_EVENTS }, (_, i) => ["rpc.message", "SENT", i + 1]),
        );
        // The second page is read after the first 500 messages went out, in a
        // later pull of the stream than the one that started the handler.
        const pages = children.filter((c) => c.name === "UserStore.listPage");
        assert.deepEqual(
          pages.map((p) => p.attributes["db.response.returned_rows"]),
          [LIST_BATCH_SIZE, received - LIST_BATCH_SIZE],
        );
        for (const page of pages) {
          assert.ok(compareTimes(span.endTime, page.endTime) >= 0, "the RPC span ends after its last storage read");
        }
      });

      it("a client stream's span counts the messages received and parents the storage write", async () => {
        const caller = callerSpan();
        const names = ["grace", "edsger", "barbara"].map((n) => `${n}_${randomBytes(4).toString("hex")}`);
        async function* entries() {
          for (const username of names) {
            yield { username, email: `${username}@example.com`, password: "correct horse" };
          }
        }
        const res = await client(caller).createUsers(entries());
        assert.equal(res.count, names.length);

        const { span, children } = rpcSpanOf(caller.traceId);
        assert.equal(span.name, "user.v1.UserService/CreateUsers");
        assert.equal(span.attributes["stream.messages_received"], names.length);
        assert.equal(span.attributes["stream.messages_sent"], undefined);
        assert.deepEqual(
          span.events.map((e) => [e.attributes?.["rpc.message.type"], e.attributes?.["rpc.message.id"]]),
          [["RECEIVED", 1], ["RECEIVED", 2], ["RECEIVED", 3]],
        );
        assert.deepEqual(children.map((c) => c.name), ["UserStore.createMany"]);
      });

      const failures = [
        { name: "a client's mistake (NOT_FOUND)", id: randomUUID(), code: Code.NotFound, withToken: true, message: /^no user has id / },
        { name: "a refused call (UNAUTHENTICATED)", id: randomUUID(), code: Code.Unauthenticated, withToken: false, message: /^missing access token/ },
        // The message is what the client got, never the fault inside.
        { name: "a server fault (INTERNAL)", id: BROKEN_ID, code: Code.Internal, withToken: true, message: /^internal error: the server failed/ },
      ];
      for (const failure of failures) {
        it(`${failure.name} has the code in its span, and an error status where the conventions say`, async () => {
          const caller = callerSpan();
          await assertConnectError(client(caller, failure.withToken).getUser({ id: failure.id }), failure.code);

          const { span } = rpcSpanOf(caller.traceId);
          // gRPC server spans fail only for codes that are the server's fault; Connect's for every code.
          const isError = transport.rpcSystem === "connect_rpc" || failure.code === Code.Internal;
          if (transport.rpcSystem === "grpc") {
            assert.equal(span.attributes["rpc.grpc.status_code"], failure.code);
            assert.equal(span.attributes["rpc.connect_rpc.error_code"], undefined);
          } else {
            assert.equal(span.attributes["rpc.connect_rpc.error_code"], codeToString(failure.code));
            assert.equal(span.attributes["rpc.grpc.status_code"], undefined);
          }
          assert.equal(span.status.code, isError ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
          if (isError) {
            assert.match(span.status.message ?? "", failure.message);
          }
          assert.doesNotMatch(JSON.stringify(spansOf(caller.traceId).map(describeSpan)), new RegExp(STORAGE_FAULT));
        });
      }

      it("a failed storage call is an error in its own span, with the error's class", async () => {
        const caller = callerSpan();
        await assertConnectError(client(caller).getUser({ id: BROKEN_ID }), Code.Internal);

        const { children } = rpcSpanOf(caller.traceId);
        assert.equal(children.length, 1);
        assert.equal(children[0]!.status.code, SpanStatusCode.ERROR);
        assert.equal(children[0]!.attributes["error.type"], "Error");
      });

      it("a caller that does not sample its trace gets no span; a call without traceparent starts a trace", async () => {
        const unsampled = callerSpan(false);
        await client(unsampled).getUser({ id: someUser.id });
        assert.deepEqual(spansOf(unsampled.traceId), []);

        exporter.reset();
        await createClient(UserService, transport.create(server.baseUrl, [bearer(token)])).getUser({ id: someUser.id });
        const roots = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
        assert.equal(roots.length, 1);
        assert.equal(roots[0]!.parentSpanContext, undefined);
      });
    });
  }
});

describe("with tracing off (the default)", () => {
  // A global provider is there to be picked up by mistake: the server must not.
  const { exporter, tracerProvider: globalProvider } = createSpanCapture();
  let server: TestServer;

  before(async () => {
    trace.setGlobalTracerProvider(globalProvider);
    server = await startServer();
  });
  afterEach(() => exporter.reset());
  after(async () => {
    await server.close();
    trace.disable();
  });

  for (const transport of transports) {
    it(`makes no spans over ${transport.name}, even for a caller's sampled trace`, async () => {
      const token = await server.adminToken();
      const users = createClient(UserService, transport.create(server.baseUrl, [bearer(token), callerSpan().interceptor]));
      for await (const _ of users.listUsers({}));
      await assertConnectError(users.getUser({ id: randomUUID() }), Code.NotFound);
      assert.deepEqual(exporter.getFinishedSpans(), []);
    });
  }
});

describe("exported over OTLP/HTTP", () => {
  it("sends the spans, under the service's name, to the collector by the time the server has closed", async () => {
    const collector = await startFakeCollector();
    try {
      // As configured at start: the app makes its own provider, and owns it.
      const server = await startServer({
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: "users-under-test" },
      });
      const caller = callerSpan();
      await createClient(UserService, transports[0]!.create(server.baseUrl, [caller.interceptor])).createUser({
        username: "exported",
        email: "exported@example.com",
        password: "correct horse",
      });
      // The batch would wait seconds more; closing the server flushes it.
      await server.close();

      const spans = collector.requests.flatMap((r) =>
        r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ resource: rs.resource, span })))),
      );
      const exported = spans.filter(({ span }) => span.traceId === caller.traceId).map(({ span }) => span.name);
      assert.deepEqual(exported.sort(), ["UserStore.create", "user.v1.UserService/CreateUser"]);
      for (const { resource } of spans) {
        assert.ok(resource.attributes.some((a) => a.key === "service.name" && a.value.stringValue === "users-under-test"));
      }
    } finally {
      collector.close();
    }
  });

  it("closes cleanly when the collector is down, saying so in the log", async () => {
    const collector = await startFakeCollector();
    collector.close();
    const log = createLogCapture();
    const server = await startServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, LOG_LEVEL: "error" }, logStream: log.stream });
    await createClient(UserService, transports[0]!.create(server.baseUrl, [])).createUser({
      username: "unexported",
      email: "unexported@example.com",
      password: "correct horse",
    });
    await server.close();
    assert.ok(log.records().some((r) => r.msg === "the last spans could not be exported"));
  });
});

/** The part of an OTLP/JSON ExportTraceServiceRequest read here. */
interface ExportRequest {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { name: string; traceId: string }[] }[];
  }[];
}

/** An HTTP server that takes OTLP/JSON exports at /v1/traces, as a collector would. */
async function startFakeCollector(): Promise<{ url: string; requests: ExportRequest[]; close(): void }> {
  const requests: ExportRequest[] = [];
  const collector = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) {
      body += chunk;
    }
    if (req.url === "/v1/traces") {
      requests.push(JSON.parse(body) as ExportRequest);
    }
    res.writeHead(req.url === "/v1/traces" ? 200 : 404, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
  const { port } = collector.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => collector.close() };
}

/** What a span says, for a search of everything it carries. */
function describeSpan(span: ReadableSpan): unknown {
  return { name: span.name, attributes: span.attributes, status: span.status, events: span.events };
}

/** <0, 0 or >0 as OpenTelemetry time `a` is before, at or after `b`. */
function compareTimes(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
