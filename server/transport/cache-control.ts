/**
 * No HTTP cache keeps an RPC's answer: every one, success or error, over any
 * protocol, carries `Cache-Control: private, no-store`.
 *
 * Only Connect GET (GetUser, free of side effects) could be cached at all.
 * Its answer depends on the caller's token (an email shows only to its owner
 * and admins) and holds personal data, so no shared cache may keep it. The
 * browser should not either: the web app keeps its token for the tab only,
 * and a stored answer would outlive that session on disk. Revalidation
 * (`private, no-cache` with an ETag) would save no work: to compare tags the
 * server still checks the token, reads storage and serializes the user, and
 * the client would be spared a few hundred bytes. Errors are covered too:
 * shared caches may keep a 404 (an unknown id) by heuristics.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";

export const RPC_CACHE_CONTROL = "private, no-store";

/**
 * An onRequest hook for the RPC routes. connect-fastify writes its answers
 * straight to the response, after copying the reply's headers onto it.
 */
export function forbidCaching(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header("cache-control", RPC_CACHE_CONTROL);
  done();
}
