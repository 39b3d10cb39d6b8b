/**
 * CORS for browser apps on other origins. Without configured origins nothing
 * is registered, so browsers allow only the server's own origin (the web app
 * it serves). The header lists come from connect-es: what Connect, gRPC-Web
 * and their clients send and read, plus our own headers.
 */
import cors from "@fastify/cors";
import { cors as connectCors } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";

/** How long browsers may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

export async function registerCors(app: FastifyInstance, allowedOrigins: readonly string[]): Promise<void> {
  if (allowedOrigins.length === 0) {
    return;
  }
  await app.register(cors, {
    origin: allowedOrigins.includes("*") ? "*" : [...allowedOrigins],
    methods: [...connectCors.allowedMethods],
    // traceparent and tracestate: W3C trace context, which our clients send.
    allowedHeaders: [...connectCors.allowedHeaders, "authorization", "x-request-id", "traceparent", "tracestate"],
    exposedHeaders: [...connectCors.exposedHeaders, "x-request-id", "retry-after"],
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
  });
}
