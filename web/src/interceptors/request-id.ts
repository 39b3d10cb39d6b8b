/**
 * Gives every call an id in the `x-request-id` header. The server logs it
 * on the call's log line and the call log panel shows it, so a call seen in
 * the browser can be found in the server's logs.
 */
import type { Interceptor } from "@connectrpc/connect";

export const REQUEST_ID_HEADER = "x-request-id";

export function createRequestIdInterceptor(): Interceptor {
  return (next) => (req) => {
    req.header.set(REQUEST_ID_HEADER, newRequestId());
    return next(req);
  };
}

/** 128 random bits in hex. crypto.randomUUID needs a secure context; this does not. */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
