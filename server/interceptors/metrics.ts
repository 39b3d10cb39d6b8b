/**
 * Prometheus metrics for every RPC: started and handled (by code), duration
 * to the end of the call (for a response stream, the end of the stream),
 * calls in flight, open streams and stream messages.
 *
 * Every call pays only for increments: the label values of a method over a
 * protocol are resolved once, on its first call, into prom-client children
 * kept here; the handled counter's child for a code, on the first call that
 * ends with it.
 *
 * Placed outside the internal-errors interceptor, so it counts the code the
 * client receives.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectError, Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { Counter, Gauge, Histogram } from "prom-client";
import {
  methodInfoOf,
  protocolOf,
  streamsRequests,
  streamsResponses,
  type RpcProtocol,
} from "../observability/call-info.js";
import type { RpcLabel, ServerMetrics } from "../observability/metrics.js";
import { observeCall, type CallObserver } from "../observability/observe-call.js";

export function createMetricsInterceptor(metrics: ServerMetrics): Interceptor {
  // Per interceptor, not per module: each app has its own registry.
  const seriesByMethod = new WeakMap<DescMethod, Partial<Record<RpcProtocol, RpcSeries>>>();
  const seriesOf = (method: DescMethod, protocol: RpcProtocol): RpcSeries => {
    let byProtocol = seriesByMethod.get(method);
    if (byProtocol === undefined) {
      byProtocol = {};
      seriesByMethod.set(method, byProtocol);
    }
    return (byProtocol[protocol] ??= new RpcSeries(metrics, method, protocol));
  };

  return (next) => (req) => {
    const series = seriesOf(req.method, protocolOf(req.header.get("content-type")));
    series.start();
    return observeCall(req, next, new CallMeter(series));
  };
}

/** gRPC's OK, which Connect's Code enum leaves out (a success has no error). */
const OK = 0;

/** One method's series over one protocol, with their label values bound. */
class RpcSeries {
  readonly #metrics: ServerMetrics;
  readonly #labels: Record<RpcLabel | "kind", string>;
  readonly #started: Counter.Internal;
  /** By code number, made on first use; 0 is OK. */
  readonly #handled: Counter.Internal[] = [];
  readonly #duration: Histogram.Internal<RpcLabel>;
  readonly #activeStreams: Gauge.Internal<"service" | "method"> | undefined;
  /** Undefined where that side of the call is not a stream. */
  readonly received: Counter.Internal | undefined;
  readonly sent: Counter.Internal | undefined;

  constructor(metrics: ServerMetrics, method: DescMethod, protocol: RpcProtocol) {
    const { service, method: name, kind } = methodInfoOf(method);
    const labels = { service, method: name, protocol };
    this.#metrics = metrics;
    this.#labels = { service, method: name, kind, protocol };
    this.#started = metrics.rpcStarted.labels(this.#labels);
    this.#duration = metrics.rpcDuration.labels(labels);
    this.#activeStreams = kind === "unary" ? undefined : metrics.activeStreams.labels({ service, method: name });
    this.received = streamsRequests(kind) ? metrics.streamMessagesReceived.labels(labels) : undefined;
    this.sent = streamsResponses(kind) ? metrics.streamMessagesSent.labels(labels) : undefined;
  }

  start(): void {
    this.#started.inc();
    this.#metrics.rpcInFlight.inc();
    this.#activeStreams?.inc();
  }

  end(code: number, seconds: number): void {
    this.#handledWith(code).inc();
    this.#duration.observe(seconds);
    this.#metrics.rpcInFlight.dec();
    this.#activeStreams?.dec();
  }

  #handledWith(code: number): Counter.Internal {
    return (this.#handled[code] ??= this.#metrics.rpcHandled.labels({
      ...this.#labels,
      code: code === OK ? "ok" : codeToString(code),
    }));
  }
}

/** One call's observer: its start time, and where its events are counted. */
class CallMeter implements CallObserver {
  readonly #series: RpcSeries;
  readonly #started = performance.now();

  constructor(series: RpcSeries) {
    this.#series = series;
  }

  received(): void {
    this.#series.received?.inc();
  }

  sent(): void {
    this.#series.sent?.inc();
  }

  end(error: ConnectError | undefined): void {
    this.#series.end(error === undefined ? OK : error.code, (performance.now() - this.#started) / 1000);
  }
}
