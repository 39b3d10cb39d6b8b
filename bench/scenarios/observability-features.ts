/**
 * The observability switches scenario 5 turns on, and how it checks that the
 * server really did. A server that refuses a setting, or shows no sign of
 * the feature, gets a "not available" row instead of failing the run.
 */
import type { RunningServer } from "../servers/start-server.js";
import type { OtlpSink } from "../load/otlp-sink.js";

export type FeatureId = "logs" | "metrics" | "tracing";

export interface Feature {
  readonly id: FeatureId;
  readonly label: string;
  /** The server's environment for it; tracing exports to the bench's OTLP sink. */
  env(sink: OtlpSink): Record<string, string>;
  /** Resolves with why the server shows no sign of it (after a few calls), or undefined when it is on. */
  missing(server: RunningServer, sink: OtlpSink): Promise<string | undefined>;
}

/** How long a span may take to reach the sink (the batch delay is set to 500 ms below). */
const EXPORT_WAIT_MS = 3_000;

export const FEATURES: readonly Feature[] = [
  {
    id: "logs",
    label: "request logs (LOG_LEVEL=info)",
    env: () => ({ LOG_LEVEL: "info" }),
    async missing(server) {
      return server.logTail().includes('"msg":"rpc"') ? undefined : "no rpc line in the server's log";
    },
  },
  {
    id: "metrics",
    label: "metrics (METRICS=on, the default)",
    env: () => ({ METRICS: "on" }),
    async missing(server) {
      const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(5_000) }).catch((e: Error) => e);
      if (res instanceof Error) {
        return `GET /metrics failed: ${res.message}`;
      }
      const body = await res.text();
      return res.ok && /^# (TYPE|HELP) /m.test(body) ? undefined : `GET /metrics answered ${res.status}, not Prometheus text`;
    },
  },
  {
    id: "tracing",
    label: "tracing (OTEL_TRACES_EXPORTER=otlp, OTLP/HTTP to a local sink)",
    env: (sink) => ({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${sink.url}/v1/traces`,
      OTEL_SERVICE_NAME: "user-service-bench",
      OTEL_BSP_SCHEDULE_DELAY: "500",
    }),
    async missing(_, sink) {
      const deadline = Date.now() + EXPORT_WAIT_MS;
      while (sink.exports() === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return sink.exports() > 0 ? undefined : `no span export reached the OTLP sink within ${EXPORT_WAIT_MS / 1000} s`;
    },
  },
];
