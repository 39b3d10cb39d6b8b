/**
 * W3C trace context from our example clients: each call sends a
 * `traceparent` that starts a new trace, marked sampled, so the server
 * records the call's spans under that trace id (README, Tracing). The
 * clients keep no spans themselves: with an OpenTelemetry SDK in the client,
 * its propagator would send the current span instead.
 */
import { randomBytes } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";

/** For connect-node clients: `createGrpcTransport({ baseUrl, interceptors: [traceContext] })`. */
export const traceContext: Interceptor = (next) => (req) => {
  req.header.set("traceparent", newTraceparent());
  return next(req);
};

/** Version 00, a new trace id and parent id, flags 01 (sampled). */
export function newTraceparent(): string {
  return `00-${randomId(16)}-${randomId(8)}-01`;
}

/** Random lowercase hex; an id of only zeros is invalid, so never that. */
function randomId(bytes: number): string {
  const id = randomBytes(bytes).toString("hex");
  return /^0+$/.test(id) ? randomId(bytes) : id;
}
