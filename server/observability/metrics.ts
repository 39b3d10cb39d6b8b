/**
 * The server's Prometheus metrics: one registry per app, made once at start,
 * with every metric defined here and nowhere else. The RPC metrics are fed by
 * the metrics interceptor, connections by the listener, rate-limited calls by
 * the rate-limit interceptor; chat members and the process metrics are read
 * when scraped.
 *
 * Each app has its own registry (never prom-client's global one): tests start
 * many apps in one process, and each must count only its own calls.
 *
 * Label values are bounded: services and methods come from the contract
 * (unknown paths never reach an interceptor), protocols, kinds, codes, rate
 * limits and HTTP versions are short fixed lists. No ids, addresses or paths.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { OnRateLimited } from "../interceptors/rate-limit.js";
import type { ConnectionObserver } from "../listen.js";
import { methodInfoOf } from "./call-info.js";

/**
 * Seconds. Unary calls take milliseconds (a login's scrypt about 0.1 s);
 * streams such as Chat last minutes, hence the long tail.
 */
const RPC_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800,
];

export type RpcLabel = "service" | "method" | "protocol";

export interface ServerMetrics {
  readonly registry: Registry;
  readonly rpcStarted: Counter<RpcLabel | "kind">;
  readonly rpcHandled: Counter<RpcLabel | "kind" | "code">;
  /** To the end of the call: for a response stream, its last message or its failure. */
  readonly rpcDuration: Histogram<RpcLabel>;
  readonly rpcInFlight: Gauge;
  readonly activeStreams: Gauge<"service" | "method">;
  readonly streamMessagesReceived: Counter<RpcLabel>;
  readonly streamMessagesSent: Counter<RpcLabel>;
  /** Keeps `http_server_active_connections` by HTTP version; for the listener. */
  readonly connections: ConnectionObserver;
  /** Counts `rpc_server_rate_limited_total`; for the rate-limit interceptor. */
  readonly rateLimited: OnRateLimited;
}

export interface ServerMetricsOptions {
  /** The chat room's member count, read at each scrape. */
  readonly chatMembers: () => number;
}

export function createServerMetrics({ chatMembers }: ServerMetricsOptions): ServerMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: "chat_room_members",
    help: "Streams in the chat room now (Chat and ChatSubscribe).",
    registers,
    collect() {
      this.set(chatMembers());
    },
  });
  const httpConnections = new Gauge({
    name: "http_server_active_connections",
    help: "Open client connections, by HTTP version (1.1 or 2), counted once the version is known.",
    labelNames: ["http_version"],
    registers,
  });
  // Present from the start, so a dashboard shows 0 rather than no data.
  for (const httpVersion of ["1.1", "2"]) {
    httpConnections.set({ http_version: httpVersion }, 0);
  }

  const rateLimited = new Counter({
    name: "rpc_server_rate_limited_total",
    help: "RPCs refused with RESOURCE_EXHAUSTED by a rate limit (login, anonymous or user).",
    labelNames: ["service", "method", "limit"],
    registers,
  });

  return {
    registry,
    rpcStarted: new Counter({
      name: "rpc_server_started_total",
      help: "RPCs that reached a handler's interceptors.",
      labelNames: ["service", "method", "kind", "protocol"],
      registers,
    }),
    rpcHandled: new Counter({
      name: "rpc_server_handled_total",
      help: "RPCs that ended, by status code (ok for success); a stream ends with its last message.",
      labelNames: ["service", "method", "kind", "protocol", "code"],
      registers,
    }),
    rpcDuration: new Histogram({
      name: "rpc_server_duration_seconds",
      help: "Time from an RPC's start to its end (for streams, the end of the stream), whatever the outcome.",
      labelNames: ["service", "method", "protocol"],
      buckets: RPC_DURATION_BUCKETS,
      registers,
    }),
    rpcInFlight: new Gauge({
      name: "rpc_server_in_flight_calls",
      help: "RPCs started and not yet ended, streams included.",
      registers,
    }),
    activeStreams: new Gauge({
      name: "rpc_server_active_streams",
      help: "Streaming RPCs (client, server or bidirectional) open now.",
      labelNames: ["service", "method"],
      registers,
    }),
    streamMessagesReceived: new Counter({
      name: "rpc_server_stream_messages_received_total",
      help: "Messages read from request streams (client and bidirectional streaming).",
      labelNames: ["service", "method", "protocol"],
      registers,
    }),
    streamMessagesSent: new Counter({
      name: "rpc_server_stream_messages_sent_total",
      help: "Messages sent on response streams (server and bidirectional streaming).",
      labelNames: ["service", "method", "protocol"],
      registers,
    }),
    connections: {
      opened: (httpVersion) => httpConnections.inc({ http_version: httpVersion }),
      closed: (httpVersion) => httpConnections.dec({ http_version: httpVersion }),
    },
    rateLimited: (method, limit) => {
      const info = methodInfoOf(method);
      rateLimited.inc({ service: info.service, method: info.method, limit });
    },
  };
}
