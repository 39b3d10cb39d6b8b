/**
 * Facts about the caller's connection, passed from Fastify to interceptors
 * through the handler context: the client's address (with TRUST_PROXY,
 * Fastify takes it from X-Forwarded-For) and the HTTP version of the call.
 */
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import type { FastifyRequest } from "fastify";

export const peerAddressKey = createContextKey<string>("", { description: "client address" });
/** "1.1" or "2.0", as Node reports it. */
export const httpVersionKey = createContextKey<string>("", { description: "HTTP version" });

export function contextValuesOf(request: FastifyRequest): ContextValues {
  return createContextValues().set(peerAddressKey, request.ip).set(httpVersionKey, request.raw.httpVersion);
}
