/**
 * Gives every call an id in the `x-request-id` header. The server logs it
 * on the call's log line and the call log panel shows it, so a call seen in
 * the browser can be found in the server's logs.
 */
import type { Interceptor } from "@connectrpc/connect";
import { randomHex } from "./random-hex.js";

export const REQUEST_ID_HEADER = "x-request-id";

export function createRequestIdInterceptor(): Interceptor {
  return (next) => (req) => {
    // 128 random bits.
    req.header.set(REQUEST_ID_HEADER, randomHex(16));
    return next(req);
  };
}
