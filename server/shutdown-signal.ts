/**
 * The signal that ends calls still running when a graceful shutdown has lasted
 * `graceMs`: closing waits for calls in flight, and streams (Chat) could run
 * forever. The timer is unref'd so that a close that finishes earlier does
 * not keep the process alive until it fires.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";

export function abortCallsAfterGrace(app: FastifyInstance, graceMs: number): AbortSignal {
  const shutdown = new AbortController();
  app.addHook("preClose", (done) => {
    setTimeout(
      () => shutdown.abort(new ConnectError("the server is shutting down: retry the call", Code.Unavailable)),
      graceMs,
    ).unref();
    done();
  });
  return shutdown.signal;
}
