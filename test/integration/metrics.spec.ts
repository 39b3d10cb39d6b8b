/**
 * GET /metrics over a real port: a scripted set of calls — successes and
 * failures of every RPC kind, over gRPC, gRPC-Web and Connect — shows up as
 * exact counts; gauges of streams, calls and connections go back down when
 * clients finish, cancel or disconnect; the endpoint can ask for a token or
 * move to a port of its own.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createAsyncIterable, createWritableIterable } from "@connectrpc/connect/protocol";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
} from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AuthService } from "../../gen/auth/v1/auth_pb.js";
import { UserService, type ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import type { RpcProtocol } from "../../server/observability/call-info.js";
import { assertConnectError } from "../support/assert-connect-error.js";
import { makeDevCerts, type DevCerts } from "../support/dev-certs.js";
import { parsePrometheusText, type Scrape } from "../support/prometheus-text.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const SERVICE = "user.v1.UserService";
const TIMEOUT_MS = 10_000;

interface ProtocolRow {
  readonly protocol: RpcProtocol;
  /** Unary, server and client streams: HTTP/1.1 for the protocols browsers speak. */
  create(baseUrl: string, interceptors: Interceptor[]): Transport;
  /** The bidirectional Chat needs HTTP/2. */
  createHttp2(baseUrl: string, interceptors: Interceptor[]): Transport;
}

const PROTOCOLS: readonly ProtocolRow[] = [
  {
    protocol: "grpc",
    create: (baseUrl, interceptors) => createGrpcTransport({ baseUrl, interceptors }),
    createHttp2: (baseUrl, interceptors) => createGrpcTransport({ baseUrl, interceptors }),
  },
  {
    protocol: "grpc-web",
    create: (baseUrl, interceptors) => createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }),
    createHttp2: (baseUrl, interceptors) => createGrpcWebTransport({ baseUrl, httpVersion: "2", interceptors }),
  },
  {
    protocol: "connect",
    create: (baseUrl, interceptors) =>
      createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false, interceptors }),
    createHttp2: (baseUrl, interceptors) => createConnectTransport({ baseUrl, httpVersion: "2", interceptors }),
  },
];

interface GetOptions {
  readonly headers?: Record<string, string>;
  /** For https: URLs. */
  readonly ca?: Buffer;
}

/**
 * A GET on a connection of its own, closed after the answer, so that the
 * scraper leaves no keep-alive connection behind to count.
 */
function get(url: string, { headers = {}, ca }: GetOptions = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const client = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { agent: false, headers, ca }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
  });
}

async function scrape(baseUrl: string, options?: GetOptions): Promise<Scrape> {
  const res = await get(`${baseUrl}/metrics`, options);
  assert.equal(res.status, 200, res.body);
  assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(res.body);
}

/** Retries `check` until it passes: the server sees a client go a moment after the client does. */
async function eventually(check: () => Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
      await sleep(25);
    }
  }
}

interface Gauges {
  readonly inFlight: number;
  /** Open streams by method. */
  readonly streams: Record<string, number>;
  readonly chatMembers?: number;
}

async function assertGauges(server: TestServer, expected: Gauges) {
  await eventually(async () => {
    const metrics = await scrape(server.baseUrl);
    assert.equal(metrics.sum("rpc_server_in_flight_calls"), expected.inFlight, "calls in flight");
    if (expected.chatMembers !== undefined) {
      assert.equal(metrics.sum("chat_room_members"), expected.chatMembers, "chat members");
    }
    for (const [method, streams] of Object.entries(expected.streams)) {
      assert.equal(metrics.sum("rpc_server_active_streams", { method }), streams, `${method} streams`);
    }
  });
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

type ChatInit = MessageInitShape<typeof ChatMessageSchema>;

describe("metrics", { timeout: 60_000 }, () => {
  describe("a scripted set of calls over every protocol", () => {
    let server: TestServer;
    let token: string;
    before(async () => {
      // Short grace: a cancelled call's connection must not hold the close up.
      server = await startServer({ env: { SHUTDOWN_GRACE_MS: "200" } });
      token = await server.tokenFor({ userId: randomUUID(), roles: ["user"] });
    });
    after(() => server.close());

    /**
     * Per protocol: CreateUser ok; GetUser unauthenticated and not_found;
     * ListUsers ok (1 message) and invalid_argument; CreateUsers ok and
     * already_exists (2 messages read each); Chat ok (2 in, 2 out);
     * ChatSubscribe cancelled by the client once open.
     */
    async function script(row: ProtocolRow): Promise<void> {
      const name = `m_${row.protocol}`;
      const anonymous = createClient(UserService, row.create(server.baseUrl, []));
      const client = createClient(UserService, row.create(server.baseUrl, [bearer(token)]));
      const options = { timeoutMs: TIMEOUT_MS };

      await anonymous.createUser({ username: name, email: `${name}@example.com`, password: "correct horse" }, options);
      await assertConnectError(anonymous.getUser({ id: randomUUID() }, options), Code.Unauthenticated);
      await assertConnectError(client.getUser({ id: randomUUID() }, options), Code.NotFound);

      let listed = 0;
      for await (const _ of client.listUsers({ pageSize: 1 }, options)) listed++;
      assert.equal(listed, 1);
      await assertConnectError(drain(client.listUsers({ pageToken: "not-a-token" }, options)), Code.InvalidArgument);

      const imported = await client.createUsers(
        createAsyncIterable([1, 2].map((i) => ({ username: `${name}_${i}`, email: `${name}_${i}@example.com`, password: "correct horse" }))),
        options,
      );
      assert.equal(imported.count, 2);
      const twice = { username: `${name}_twice`, email: `${name}_twice@example.com`, password: "correct horse" };
      await assertConnectError(client.createUsers(createAsyncIterable([twice, twice]), options), Code.AlreadyExists);

      await chatTwice(createClient(UserService, row.createHttp2(server.baseUrl, [bearer(token)])));
      await subscribeThenCancel(client, row.protocol);
    }

    async function chatTwice(client: Client<typeof UserService>): Promise<void> {
      const outbox = createWritableIterable<ChatInit>();
      const replies = client.chat(outbox, { timeoutMs: TIMEOUT_MS })[Symbol.asyncIterator]();
      for (const text of ["one", "two"]) {
        await outbox.write({ text });
        assert.equal((await replies.next()).value?.text, text);
      }
      outbox.close();
      assert.equal((await replies.next()).done, true);
    }

    async function subscribeThenCancel(client: Client<typeof UserService>, protocol: RpcProtocol): Promise<void> {
      const cancel = new AbortController();
      const reading = drain(client.chatSubscribe({}, { signal: cancel.signal, timeoutMs: TIMEOUT_MS }));
      await eventually(async () => {
        const metrics = await scrape(server.baseUrl);
        assert.equal(metrics.sum("rpc_server_active_streams", { method: "ChatSubscribe" }), 1);
        assert.equal(metrics.sum("chat_room_members"), 1);
      });
      cancel.abort();
      await assertConnectError(reading, Code.Canceled);
      await eventually(async () => {
        const metrics = await scrape(server.baseUrl);
        assert.equal(metrics.sum("rpc_server_handled_total", { method: "ChatSubscribe", protocol }), 1);
      });
    }

    it("counts every call, its code and stream messages exactly, with one duration each", async () => {
      for (const row of PROTOCOLS) {
        await script(row);
        // An unknown method is no RPC: it is answered before any interceptor.
        const unknown = await fetch(`${server.baseUrl}/${SERVICE}/NoSuchMethod`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        });
        assert.equal(unknown.status, 404);
      }
      await assertGauges(server, { inFlight: 0, streams: { ListUsers: 0, CreateUsers: 0, Chat: 0, ChatSubscribe: 0 } });
      const metrics = await scrape(server.baseUrl);

      const calls = [
        { method: "CreateUser", kind: "unary", codes: { ok: 1 } },
        { method: "GetUser", kind: "unary", codes: { unauthenticated: 1, not_found: 1 } },
        { method: "ListUsers", kind: "server_streaming", codes: { ok: 1, invalid_argument: 1 } },
        { method: "CreateUsers", kind: "client_streaming", codes: { ok: 1, already_exists: 1 } },
        { method: "Chat", kind: "bidi_streaming", codes: { ok: 1 } },
        { method: "ChatSubscribe", kind: "server_streaming", codes: { canceled: 1 } },
      ];
      for (const { protocol } of PROTOCOLS) {
        for (const { method, kind, codes } of calls) {
          const labels = { service: SERVICE, method, kind, protocol };
          const total = Object.values(codes).reduce((a, b) => a + b, 0);
          const where = `${method} over ${protocol}`;
          assert.equal(metrics.sum("rpc_server_started_total", labels), total, `${where} started`);
          assert.deepEqual(
            Object.fromEntries(metrics.matching("rpc_server_handled_total", labels).map((s) => [s.labels.code, s.value])),
            codes,
            `${where} handled`,
          );
          const series = { service: SERVICE, method, protocol };
          assert.equal(metrics.sum("rpc_server_duration_seconds_count", series), total, `${where} durations`);
          assert.equal(metrics.sum("rpc_server_duration_seconds_bucket", { ...series, le: "+Inf" }), total);
          const buckets = metrics.matching("rpc_server_duration_seconds_bucket", series).map((s) => s.value);
          assert.deepEqual(buckets, [...buckets].sort((a, b) => a - b), `${where} buckets are cumulative`);
        }
        const messages = (name: string, method: string) => metrics.sum(name, { service: SERVICE, method, protocol });
        assert.equal(messages("rpc_server_stream_messages_sent_total", "ListUsers"), 1);
        assert.equal(messages("rpc_server_stream_messages_sent_total", "Chat"), 2);
        assert.equal(messages("rpc_server_stream_messages_sent_total", "ChatSubscribe"), 0);
        // A client stream's single answer is no stream message.
        assert.equal(messages("rpc_server_stream_messages_sent_total", "CreateUsers"), 0);
        assert.equal(messages("rpc_server_stream_messages_received_total", "CreateUsers"), 4);
        assert.equal(messages("rpc_server_stream_messages_received_total", "Chat"), 2);
        // A server stream's one request is no stream message.
        assert.equal(messages("rpc_server_stream_messages_received_total", "ListUsers"), 0);
      }

      // Nothing else was counted: not the unknown method, not /metrics.
      const perProtocol = calls.flatMap(({ codes }) => Object.values(codes)).reduce((a, b) => a + b, 0);
      assert.equal(metrics.sum("rpc_server_started_total"), perProtocol * PROTOCOLS.length);
      assert.equal(metrics.samples.some((s) => Object.values(s.labels).some((v) => v.includes("NoSuchMethod"))), false);
      assert.equal(metrics.sum("chat_room_members"), 0);
      assert.equal(metrics.sum("rpc_server_rate_limited_total"), 0);
    });
  });

  it("brings stream and call gauges back to 0 when clients disconnect", async () => {
    const server = await startServer({ env: { SHUTDOWN_GRACE_MS: "200" } });
    try {
      const token = await server.tokenFor({ userId: randomUUID(), roles: ["user"] });
      // gRPC: the HTTP/2 connection dropped under an open Chat and ChatSubscribe.
      const sessions = new Http2SessionManager(server.baseUrl);
      const grpc = createClient(UserService, createGrpcTransport({ baseUrl: server.baseUrl, sessionManager: sessions, interceptors: [bearer(token)] }));
      // Connect over HTTP/1.1: the socket under an open ChatSubscribe destroyed.
      const agent = new http.Agent({ keepAlive: true });
      const connect = createClient(
        UserService,
        createConnectTransport({ baseUrl: server.baseUrl, httpVersion: "1.1", nodeOptions: { agent }, interceptors: [bearer(token)] }),
      );
      const outbox = createWritableIterable<ChatInit>();
      const calls = [
        drain(grpc.chat(outbox, { timeoutMs: TIMEOUT_MS })),
        drain(grpc.chatSubscribe({}, { timeoutMs: TIMEOUT_MS })),
        drain(connect.chatSubscribe({}, { timeoutMs: TIMEOUT_MS })),
      ].map((call) => call.catch(() => {}));
      // A stream is counted as its call starts, a member once its handler has joined the room.
      await assertGauges(server, { inFlight: 3, streams: { Chat: 1, ChatSubscribe: 2 }, chatMembers: 3 });

      sessions.abort();
      await assertGauges(server, { inFlight: 1, streams: { Chat: 0, ChatSubscribe: 1 } });
      agent.destroy();
      await assertGauges(server, { inFlight: 0, streams: { Chat: 0, ChatSubscribe: 0 }, chatMembers: 0 });
      await Promise.all(calls);
      assert.equal((await scrape(server.baseUrl)).sum("rpc_server_handled_total", { code: "canceled" }), 3);
    } finally {
      await server.close();
    }
  });

  it("counts calls refused by a rate limit, by limit", async () => {
    const server = await startServer({ env: { RATE_LIMIT_LOGIN: "1/min" } });
    try {
      const auth = createClient(AuthService, createGrpcTransport({ baseUrl: server.baseUrl }));
      await assertConnectError(auth.login({ username: "nobody", password: "wrong password" }), Code.Unauthenticated);
      await assertConnectError(auth.login({ username: "nobody", password: "wrong password" }), Code.ResourceExhausted);
      const metrics = await scrape(server.baseUrl);
      const login = { service: "auth.v1.AuthService", method: "Login" };
      assert.deepEqual(
        metrics.matching("rpc_server_rate_limited_total").map((s) => ({ labels: s.labels, value: s.value })),
        [{ labels: { ...login, limit: "login" }, value: 1 }],
      );
      assert.equal(metrics.sum("rpc_server_handled_total", { ...login, code: "resource_exhausted" }), 1);
    } finally {
      await server.close();
    }
  });

  describe("connections by HTTP version", () => {
    let certs: DevCerts;
    before(() => (certs = makeDevCerts()));
    after(() => certs.remove());

    for (const secure of [false, true]) {
      it(`go up and back down ${secure ? "over TLS (ALPN)" : "in plaintext (by preface)"}`, async () => {
        const env: Record<string, string> = secure ? { TLS_CERT: certs.paths.serverCert, TLS_KEY: certs.paths.serverKey } : {};
        const server = await startServer({ env });
        const baseUrl = secure ? `https://127.0.0.1:${server.port}` : server.baseUrl;
        const ca = secure ? certs.ca : undefined;
        // Each scrape counts its own HTTP/1.1 connection (https.get sends no ALPN: HTTP/1.1).
        const assertConnections = (h1: number, h2: number) =>
          eventually(async () => {
            const metrics = await scrape(baseUrl, { ca });
            assert.equal(metrics.sum("http_server_active_connections", { http_version: "1.1" }), h1 + 1, "HTTP/1.1");
            assert.equal(metrics.sum("http_server_active_connections", { http_version: "2" }), h2, "HTTP/2");
          });
        try {
          await assertConnections(0, 0);
          const session = http2.connect(baseUrl, { ca });
          await new Promise((resolve, reject) => session.once("connect", resolve).once("error", reject));
          const agent = new (secure ? https : http).Agent({ keepAlive: true });
          const probe = await new Promise<number>((resolve, reject) =>
            (secure ? https : http)
              .get(`${baseUrl}/healthz`, { agent, ca }, (res) => res.resume().on("end", () => resolve(res.statusCode!)))
              .on("error", reject),
          );
          assert.equal(probe, 200);
          await assertConnections(1, 1);

          session.close();
          await assertConnections(1, 0);
          agent.destroy();
          await assertConnections(0, 0);
        } finally {
          await server.close();
        }
      });
    }
  });

  describe("with METRICS_TOKEN", () => {
    const metricsToken = `scrape-${randomUUID()}`;
    let server: TestServer;
    before(async () => (server = await startServer({ env: { METRICS_TOKEN: metricsToken } })));
    after(() => server.close());

    it("refuses a scrape without the token, or with another, with 401", async () => {
      const refused: Record<string, string>[] = [
        {},
        { authorization: "Bearer wrong-token-of-some-length" },
        // The token itself, but not as a bearer token.
        { authorization: metricsToken },
      ];
      for (const headers of refused) {
        const res = await get(`${server.baseUrl}/metrics`, { headers });
        assert.equal(res.status, 401, JSON.stringify(headers));
        assert.equal(res.headers["www-authenticate"], 'Bearer realm="metrics"');
        assert.doesNotMatch(res.body, /rpc_server/);
      }
    });

    it("serves the metrics for the bearer of the token", async () => {
      const metrics = await scrape(server.baseUrl, { headers: { authorization: `Bearer ${metricsToken}` } });
      assert.ok(metrics.matching("process_cpu_user_seconds_total").length === 1, "process metrics");
      assert.ok(metrics.matching("nodejs_eventloop_lag_p99_seconds").length === 1, "event-loop metrics");
    });
  });

  describe("with METRICS_PORT", () => {
    let server: TestServer;
    let metricsUrl: string;
    before(async () => {
      const port = await freePort();
      metricsUrl = `http://127.0.0.1:${port}`;
      server = await startServer({ env: { METRICS_PORT: String(port), METRICS_HOST: "127.0.0.1" } });
    });

    it("serves /metrics on that port, counting the main port's calls, and not on the main port", async () => {
      const client = createClient(UserService, createGrpcTransport({ baseUrl: server.baseUrl }));
      await assertConnectError(client.getUser({ id: randomUUID() }), Code.Unauthenticated);
      const metrics = await scrape(metricsUrl);
      assert.equal(metrics.sum("rpc_server_handled_total", { method: "GetUser", code: "unauthenticated" }), 1);
      assert.equal((await get(`${server.baseUrl}/metrics`)).status, 404);
    });

    it("closes that port with the app", async () => {
      await server.close();
      await assert.rejects(get(`${metricsUrl}/metrics`), { code: "ECONNREFUSED" });
    });
  });
});

describe("metrics off", () => {
  it("serves no /metrics with METRICS=off, and calls still work", async () => {
    const server = await startServer({ env: { METRICS: "off" } });
    try {
      assert.equal((await fetch(`${server.baseUrl}/metrics`)).status, 404);
      const created = await fetch(`${server.baseUrl}/user.v1.UserService/CreateUser`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "unmetered", email: "unmetered@example.com", password: "correct horse" }),
      });
      assert.equal(created.status, 200);
    } finally {
      await server.close();
    }
  });
});

/** Reads a stream to its end. */
async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of stream);
}
