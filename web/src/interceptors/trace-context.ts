/**
 * Sends a W3C `traceparent` with every call, starting a new trace marked
 * sampled: the server records the call's spans under that trace id. The app
 * keeps no spans of its own (no OpenTelemetry SDK in the page, to keep it
 * small), so the parent id names a span no collector will receive.
 */
import type { Interceptor } from "@connectrpc/connect";
import { randomHex } from "./random-hex.js";

export const TRACEPARENT_HEADER = "traceparent";

export function createTraceContextInterceptor(): Interceptor {
  return (next) => (req) => {
    req.header.set(TRACEPARENT_HEADER, `00-${randomId(16)}-${randomId(8)}-01`);
    return next(req);
  };
}

/** An id of only zeros is invalid: never that. */
function randomId(byteCount: number): string {
  const id = randomHex(byteCount);
  return /^0+$/.test(id) ? randomId(byteCount) : id;
}
