/**
 * HTTP health probes for load balancers and Kubernetes, which speak plain
 * HTTP rather than grpc.health.v1:
 *
 * - GET /healthz: liveness. 200 whenever the process answers at all; a
 *   failing dependency is no reason to restart it.
 * - GET /readyz: readiness. 200 while the server as a whole ("") is SERVING,
 *   503 otherwise (a dependency down, or shutting down), so traffic goes
 *   elsewhere meanwhile.
 *
 * Bodies are JSON, {"status": "..."}, with the gRPC health names. Both read
 * the checker's state only: probes cost no storage round trip, however often
 * they come.
 *
 *   await app.register(httpProbes, { checker });
 */
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { ServingStatus, type HealthChecker } from "./health-checker.js";

export interface HttpProbesOptions {
  readonly checker: HealthChecker;
}

export const httpProbes: FastifyPluginAsync<HttpProbesOptions> = async (app, { checker }) => {
  app.get("/healthz", (_request, reply) => send(reply, 200, "ALIVE"));
  app.get("/readyz", (_request, reply) => {
    const status = checker.status("") ?? ServingStatus.UNKNOWN;
    return send(reply, status === ServingStatus.SERVING ? 200 : 503, ServingStatus[status]);
  });
};

function send(reply: FastifyReply, code: number, status: string | undefined): FastifyReply {
  // A cached answer would be a stale one.
  return reply.code(code).header("cache-control", "no-store").send({ status });
}
