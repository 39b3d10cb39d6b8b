/**
 * The OpenTelemetry machinery behind the server's traces: a tracer provider
 * for the configured exporter, and the process-wide pieces a provider needs
 * to be useful — a context manager, so that a span stays current across
 * `await`, and OpenTelemetry's own diagnostics in our log (an unreachable
 * collector would otherwise go unnoticed).
 *
 * The provider is passed explicitly to whoever makes spans (app.ts), never
 * registered as the global one: tests give the app a provider of their own.
 */
import { context, diag, DiagLogLevel, type DiagLogger } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTR_SERVICE_NAME } from "@opentelemetry/semantic-conventions";
import type { FastifyBaseLogger } from "fastify";
import type { TracingConfig } from "../config.js";

/** The instrumentation scope of every span the server makes. */
export const TRACER_NAME = "user-service";

/**
 * A provider for the configured exporter, or undefined when tracing is off:
 * then nothing is traced and no tracing code runs per call.
 */
export function createTracerProvider(config: TracingConfig): BasicTracerProvider | undefined {
  if (config.exporter === "none") {
    return undefined;
  }
  // Batches for a collector (one request per batch, off the calls' path);
  // each span at once on the console, where a person is watching.
  const spanProcessor: SpanProcessor =
    config.exporter === "otlp"
      ? new BatchSpanProcessor(new OTLPTraceExporter({ url: config.url }))
      : new SimpleSpanProcessor(new ConsoleSpanExporter());
  // The sampler stays the SDK's: parent-based, always on for new traces,
  // unless OTEL_TRACES_SAMPLER says otherwise.
  return new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName })),
    spanProcessors: [spanProcessor],
  });
}

let contextManagerRegistered = false;

/**
 * Makes the active span follow async work (AsyncLocalStorage), once per
 * process. Without it a storage call could not find the RPC span it belongs
 * to. If something else registered a context manager first, that one stays.
 */
export function registerContextManager(): void {
  if (!contextManagerRegistered) {
    contextManagerRegistered = true;
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
}

/**
 * Sends OpenTelemetry's warnings and errors (failed exports, dropped spans)
 * to our log. Process-wide, like OpenTelemetry's diagnostics themselves: the
 * last app created in a process gets them.
 */
export function logTracingDiagnostics(log: FastifyBaseLogger): void {
  // Errors inside an array would be logged as {}: their messages are kept instead.
  const details = (args: unknown[]) => ({ details: args.map((a) => (a instanceof Error ? a.message : a)) });
  const logger: DiagLogger = {
    error: (message, ...args) => log.error(details(args), `opentelemetry: ${message}`),
    warn: (message, ...args) => log.warn(details(args), `opentelemetry: ${message}`),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
}
