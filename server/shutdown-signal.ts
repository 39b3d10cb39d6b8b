/**
 * The end of a graceful shutdown. When it has lasted `graceMs`, calls still
 * running are aborted with UNAVAILABLE (streams such as Chat could run
 * forever), and a moment later every connection still open is dropped: a
 * client can hold a finished call's stream half-open (e.g. one still
 * uploading a request the server refused), which would otherwise keep the
 * port from closing. The timers are unref'd, so a close that finishes
 * earlier does not keep the process alive until they fire.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import type { OnePortServer } from "./listen.js";

/** Time for the UNAVAILABLE answers to reach clients before connections drop. */
const FLUSH_MS = 500;

export function abortCallsAfterGrace(app: FastifyInstance, graceMs: number): AbortSignal {
  const shutdown = new AbortController();
  app.addHook("preClose", (done) => {
    setTimeout(() => {
      shutdown.abort(new ConnectError("the server is shutting down: retry the call", Code.Unavailable));
      setTimeout(() => (app.server as unknown as OnePortServer).closeAllConnections(), FLUSH_MS).unref();
    }, graceMs).unref();
    done();
  });
  return shutdown.signal;
}
