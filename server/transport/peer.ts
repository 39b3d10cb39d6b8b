/**
 * The client's address, passed from Fastify to interceptors through the
 * handler context. With TRUST_PROXY, Fastify takes it from X-Forwarded-For.
 */
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";
import type { FastifyRequest } from "fastify";

export const peerAddressKey = createContextKey<string>("", { description: "client address" });

export function contextValuesOf(request: FastifyRequest): ContextValues {
  return createContextValues().set(peerAddressKey, request.ip);
}
