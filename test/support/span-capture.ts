/**
 * Catches a server's spans in memory: pass `tracerProvider` as startServer's
 * and read back what it recorded.
 */
import assert from "node:assert/strict";
import { SpanKind } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from "@opentelemetry/sdk-trace-base";

export interface SpanCapture {
  readonly tracerProvider: BasicTracerProvider;
  readonly exporter: InMemorySpanExporter;
  /** The SERVER spans finished so far: one per RPC. */
  rpcSpans(): ReadableSpan[];
}

export function createSpanCapture(): SpanCapture {
  const exporter = new InMemorySpanExporter();
  return {
    // Each span exported as it ends, so a test reads it as soon as its call is over.
    tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    exporter,
    rpcSpans: () => exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER),
  };
}

/** Every RPC came with its caller's `traceparent`, and each started a trace of its own. */
export function assertEachCallSentItsTrace(rpcSpans: readonly ReadableSpan[]): void {
  assert.ok(rpcSpans.length > 0, "no RPC was traced");
  for (const span of rpcSpans) {
    assert.equal(span.parentSpanContext?.isRemote, true, `${span.name} came without a traceparent`);
  }
  const traces = new Set(rpcSpans.map((span) => span.spanContext().traceId));
  assert.equal(traces.size, rpcSpans.length, "each call starts a trace of its own");
}
