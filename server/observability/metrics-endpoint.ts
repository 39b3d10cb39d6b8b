/**
 * GET /metrics: a registry in the Prometheus text format, for scrapers.
 *
 * Served on the app's own port, or, given a port, on a port of its own (an
 * internal network, say) that opens when the app is ready and closes with
 * it; the app's port then has no /metrics at all. With a token, a scrape
 * without `authorization: Bearer <token>` gets 401, and the comparison takes
 * the same time however much of the token a guess gets right.
 *
 *   await app.register(metricsEndpoint, { registry, token, port, host });
 */
import { createHash, timingSafeEqual } from "node:crypto";
import Fastify, { LogController, type FastifyInstance, type FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";

export interface MetricsEndpointOptions {
  readonly registry: Registry;
  /** Required from scrapers as a bearer token, when set. */
  readonly token: string | undefined;
  /** Serve on this port instead of the app's; undefined keeps /metrics on the app's port. */
  readonly port?: number | undefined;
  /** The address the separate port listens on. */
  readonly host?: string;
}

export const METRICS_PATH = "/metrics";

export const metricsEndpoint: FastifyPluginAsync<MetricsEndpointOptions> = async (app, options) => {
  if (options.port === undefined) {
    addMetricsRoute(app, options);
    return;
  }
  const { port, host } = options;
  const own = Fastify({
    loggerInstance: app.log,
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  addMetricsRoute(own, options);
  // Before the app's port opens: a port already taken fails the start, and
  // once the app answers, so do its metrics.
  app.addHook("onReady", async () => {
    await own.listen({ port, host, listenTextResolver: (address) => `Metrics listening at ${address}${METRICS_PATH}` });
  });
  app.addHook("onClose", () => own.close());
};

function addMetricsRoute(app: FastifyInstance, { registry, token }: MetricsEndpointOptions): void {
  const authorized = token === undefined ? () => true : bearerCheck(token);
  app.get(METRICS_PATH, async (request, reply) => {
    // A scrape is a snapshot of now: nothing in between may keep one.
    void reply.header("cache-control", "no-store");
    if (!authorized(request.headers.authorization)) {
      return reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="metrics"')
        .send({ code: "unauthenticated", message: "send 'authorization: Bearer <token>' with the METRICS_TOKEN" });
    }
    return reply.header("content-type", registry.contentType).send(await registry.metrics());
  });
}

const BEARER = /^Bearer +(\S+) *$/i;

/** Compares digests, which have the same length whatever was sent, in constant time. */
function bearerCheck(token: string): (header: string | undefined) => boolean {
  const expected = sha256(token);
  return (header) => {
    const sent = header === undefined ? undefined : BEARER.exec(header)?.[1];
    return sent !== undefined && timingSafeEqual(sha256(sent), expected);
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
