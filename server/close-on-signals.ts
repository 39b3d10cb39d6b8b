/**
 * Graceful shutdown on SIGTERM or SIGINT. Health turns NOT_SERVING at once
 * (Watch streams and /readyz see it) while the port goes on accepting calls
 * for `drainMs`, so that load balancers stop sending new ones before it
 * closes; then the app closes (calls get SHUTDOWN_GRACE_MS to finish, see
 * shutdown-signal.ts) and the process exits 0, or 1 if closing failed.
 *
 * A second signal exits at once, with the shell's code for death by that
 * signal (128 + its number): whoever sent it wants the process gone now.
 */
import { constants } from "node:os";
import type { FastifyInstance } from "fastify";
import type { HealthChecker } from "./health/health-checker.js";

export function closeOnSignals(app: FastifyInstance, health: HealthChecker, drainMs: number): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      app.log.warn({ signal }, "second signal: exiting now");
      process.exit(128 + constants.signals[signal]);
    }
    closing = true;
    app.log.info({ signal, drainMs }, "shutting down");
    health.shutdown();
    setTimeout(() => {
      app.close().then(
        () => process.exit(0),
        (err: unknown) => {
          app.log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    }, drainMs);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
