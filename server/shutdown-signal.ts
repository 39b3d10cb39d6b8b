/**
 * The end of a graceful shutdown. When it has lasted `graceMs`, calls still
 * running are aborted with UNAVAILABLE (streams such as Chat could run
 * forever). A stream's UNAVAILABLE goes out behind the messages already
 * queued for it, which a slow reader must read first: answers get up to
 * DELIVERY_MAX_MS to go out, and a moment after the last one (or that limit)
 * every connection still open is dropped. A client can hold a finished
 * call's stream half-open (e.g. one still uploading a request the server
 * refused), which would otherwise keep the port from closing. The timers are
 * unref'd, so a close that finishes earlier does not keep the process alive
 * until they fire.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import type { FastifyInstance } from "fastify";
import type { OnePortServer } from "./listen.js";

/**
 * How long the answers of aborted calls may take to go out. A reader that
 * needs longer for what is already on its way to it loses the end of its
 * stream (its connection drops) rather than holding the shutdown.
 */
const DELIVERY_MAX_MS = 5_000;

/** Time for the last answers' bytes to reach clients before connections drop. */
const FLUSH_MS = 500;

export function abortCallsAfterGrace(app: FastifyInstance, graceMs: number): AbortSignal {
  const shutdown = new AbortController();
  app.addHook("preClose", (done) => {
    const server = app.server as unknown as OnePortServer;
    setTimeout(() => {
      shutdown.abort(new ConnectError("the server is shutting down: retry the call", Code.Unavailable));
      void Promise.race([server.responsesFinished(), sleep(DELIVERY_MAX_MS, undefined, { ref: false })]).then(() =>
        setTimeout(() => server.closeAllConnections(), FLUSH_MS).unref(),
      );
    }, graceMs).unref();
    done();
  });
  return shutdown.signal;
}
