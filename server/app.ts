/**
 * Builds the Fastify application: the RPC routes with their interceptors on
 * the one-port server. Listening is left to the caller (main.ts or a test).
 */
import { createRegistry } from "@bufbuild/protobuf";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import Fastify, { LogController, type FastifyInstance, type FastifyServerFactory } from "fastify";
import { AuthService } from "../gen/auth/v1/auth_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { UserService } from "../gen/user/v1/user_pb.js";
import { ensureAdmin } from "./auth/bootstrap-admin.js";
import { loadSigningKey } from "./auth/signing-key.js";
import { createTokens } from "./auth/tokens.js";
import type { Config } from "./config.js";
import { createHealthChecker, type HealthChecker } from "./health/health-checker.js";
import { createHealthService } from "./health/health-service.js";
import { httpProbes } from "./health/http-probes.js";
import { startReadinessPolling } from "./health/readiness-polling.js";
import { createAuthInterceptor } from "./interceptors/auth.js";
import { createInternalErrorsInterceptor } from "./interceptors/internal-errors.js";
import { createRateLimitInterceptor } from "./interceptors/rate-limit.js";
import { createMetricsInterceptor } from "./interceptors/metrics.js";
import { createRequestLogInterceptor } from "./interceptors/request-log.js";
import { createSecurityLogInterceptor } from "./interceptors/security-log.js";
import { createTracingInterceptor } from "./interceptors/tracing.js";
import { createValidationInterceptor } from "./interceptors/validation.js";
import { createServerFactory, IGNORE_CONNECTIONS, type FastPathSlot } from "./listen.js";
import { createServerMetrics } from "./observability/metrics.js";
import { metricsEndpoint } from "./observability/metrics-endpoint.js";
import { createTracerProvider, logTracingDiagnostics, registerContextManager, TRACER_NAME } from "./observability/tracing.js";
import { reflectionServices, registerReflection } from "./reflection/register-reflection.js";
import { abortCallsAfterGrace } from "./shutdown-signal.js";
import { createAuthService } from "./services/auth-service.js";
import { ChatRoom } from "./services/chat-room.js";
import { createScryptHasher } from "./services/password.js";
import { createUserService } from "./services/user-service.js";
import type { UserStore } from "./storage/store.js";
import { createTracedStore } from "./storage/traced-store.js";
import { guardBidiRoutes } from "./transport/bidi-needs-http2.js";
import { forbidCaching } from "./transport/cache-control.js";
import { createUnaryFastPath } from "./transport/unary-fast-path/unary-fast-path.js";
import { registerCors } from "./transport/cors.js";
import { notFoundHandler } from "./transport/not-found.js";
import { contextValuesOf } from "./transport/peer.js";
import { registerWebApp } from "./web-app.js";

export interface AppOptions {
  readonly config: Config;
  /** Owned by the app from here on: closed when the app closes. */
  readonly store: UserStore;
  /** Where log lines go; standard output by default. */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * The server's health, which the app keeps in step with storage and turns
   * NOT_SERVING when it closes. Created here unless given: main.ts gives its
   * own, to turn it NOT_SERVING on a signal before the app closes.
   */
  readonly health?: HealthChecker;
  /**
   * Where the app's spans go; made from `config.tracing` unless given (tests
   * give one with an in-memory exporter). Owned by the app from here on: shut
   * down, its last spans exported, when the app closes. None: no tracing.
   */
  readonly tracerProvider?: BasicTracerProvider;
}

/** Our services: they need storage, so their health follows it. */
const SERVICES = [UserService, AuthService];
/**
 * Callable without a token: signing up and logging in; health, which probes
 * and load balancers call; and reflection, which tools call before they know
 * of any token (the schema is no secret; turn reflection off to hide it).
 */
const PUBLIC_METHODS = [
  UserService.method.createUser,
  AuthService.method.login,
  ...[Health, ...reflectionServices].flatMap((service) => service.methods),
];

export async function createApp({
  config,
  store: backend,
  logStream,
  health = createHealthChecker(),
  tracerProvider = createTracerProvider(config.tracing),
}: AppOptions): Promise<FastifyInstance> {
  const room = new ChatRoom();
  // With METRICS=off, calls and connections pay nothing for them.
  const metrics = config.metrics === undefined ? undefined : createServerMetrics({ chatMembers: () => room.size });
  const fastPath: FastPathSlot = { current: undefined };
  const app = Fastify({
    // Fastify's types expect an http.Server; ours is a net.Server that feeds an
    // HTTP/1.1 and an HTTP/2 server, which Fastify drives through the same calls.
    serverFactory: createServerFactory({
      tls: config.tls,
      idleProbeMs: config.idleProbeMs,
      streams: fastPath,
      connections: metrics?.connections ?? IGNORE_CONNECTIONS,
    }) as unknown as FastifyServerFactory,
    logger: {
      level: config.logLevel,
      ...(logStream ? { stream: logStream } : config.logFormat === "pretty" && { transport: { target: "pino-pretty" } }),
    },
    // Fastify's two log lines per HTTP request would double the RPC log and cost
    // time on every call.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy,
  }) as unknown as FastifyInstance;
  // With tracing off, neither calls nor storage pay for it: no interceptor, no wrapper.
  const tracer = tracerProvider?.getTracer(TRACER_NAME);
  if (tracerProvider !== undefined) {
    registerContextManager();
    logTracingDiagnostics(app.log);
    // Exports what is left. A collector that is down must not fail the shutdown.
    app.addHook("onClose", async () => {
      try {
        await tracerProvider.shutdown();
      } catch (err) {
        app.log.error({ err }, "the last spans could not be exported");
      }
    });
  }
  const store = tracer === undefined ? backend : createTracedStore(backend, tracer, config.storage.kind);
  app.addHook("onClose", () => store.close());
  // Storage down means no service can work: the whole server ("") and each
  // service report it, to Check, Watch and /readyz alike.
  const readiness = await startReadinessPolling({
    checker: health,
    services: ["", ...SERVICES.map((service) => service.typeName)],
    probe: () => store.ping(),
    intervalMs: config.healthPollMs,
    onChange: (serving, err) =>
      serving ? app.log.info("storage reachable: serving") : app.log.error({ err }, "storage unreachable: not serving"),
  });
  // Before connections close, so that Watch streams still open see it.
  app.addHook("preClose", (done) => {
    readiness.stop();
    health.shutdown();
    done();
  });
  app.addHook("onRoute", guardBidiRoutes([...SERVICES, ...reflectionServices]));
  await registerCors(app, config.corsOrigins);
  await app.register(httpProbes, { checker: health });
  if (metrics !== undefined && config.metrics !== undefined) {
    await app.register(metricsEndpoint, { registry: metrics.registry, ...config.metrics });
  }

  const hasher = createScryptHasher(config.passwordHashCost);
  const tokens = createTokens(loadSigningKey(config.jwt, config.dataDir), config.jwt);
  if (config.admin !== undefined) {
    const outcome = await ensureAdmin(store, hasher, config.admin);
    app.log.info({ username: config.admin.username, outcome }, "initial admin ready");
  }
  const userService = createUserService({ store, hasher, room });
  const authService = await createAuthService({ store, hasher, tokens });

  const healthService = createHealthService(health);
  // Outermost first. The span covers all the others; it, the request log and
  // the metrics see every call's final code.
  // Authentication comes before rate limits (which count per user) and
  // validation (an unauthenticated caller learns nothing).
  const interceptors = [
    ...(tracer === undefined ? [] : [createTracingInterceptor(tracer)]),
    createRequestLogInterceptor(app.log),
    ...(metrics === undefined ? [] : [createMetricsInterceptor(metrics)]),
    createInternalErrorsInterceptor(app.log),
    createSecurityLogInterceptor(app.log),
    createAuthInterceptor(tokens, PUBLIC_METHODS),
    // Health checks come often from load balancers and cost less than a
    // limit; Watch, a stream held open, stays limited like other calls.
    createRateLimitInterceptor(
      config.rateLimits,
      [AuthService.method.login],
      app.log,
      [Health.method.check, Health.method.list],
      metrics?.rateLimited,
    ),
    createValidationInterceptor({ services: SERVICES }),
  ];
  // gzip is the compression every gRPC implementation has; brotli is what
  // browsers and Connect clients offer too. An answer is compressed with
  // the first encoding the client accepts that is listed here, message by
  // message from compressMinBytes up (below, it costs more than it saves).
  // Requests inflate only up to readMaxBytes: a decompression bomb is
  // RESOURCE_EXHAUSTED, never a memory blow-up.
  const acceptCompression = [compressionGzip, compressionBrotli];
  const shutdownSignal = abortCallsAfterGrace(app, config.shutdownGraceMs);

  // A context of their own, so that the hook concerns the RPC routes only:
  // not the web app (whose files are cacheable) nor the probes.
  await app.register(async (rpc) => {
    rpc.addHook("onRequest", forbidCaching);
    await rpc.register(fastifyConnectPlugin, {
      routes: (router) => {
        router.service(UserService, userService).service(AuthService, authService).service(Health, healthService);
        if (config.reflection) {
          registerReflection(router, createRegistry(...SERVICES, Health));
        }
      },
      interceptors,
      contextValues: contextValuesOf,
      readMaxBytes: config.readMaxBytes,
      acceptCompression,
      compressMinBytes: config.compressMinBytes,
      maxTimeoutMs: config.maxTimeoutMs,
      shutdownSignal,
    });
  });
  // Behind a proxy the client's address comes from X-Forwarded-For, which
  // only Fastify reads: then every call takes the general path.
  if (config.unaryFastPath && !config.trustProxy) {
    const unary = createUnaryFastPath({
      services: [
        { service: UserService, implementation: userService },
        { service: AuthService, implementation: authService },
        { service: Health, implementation: healthService },
      ],
      interceptors,
      readMaxBytes: config.readMaxBytes,
      maxTimeoutMs: config.maxTimeoutMs,
      acceptCompression,
      compressMinBytes: config.compressMinBytes,
      shutdownSignal,
      corsEnabled: config.corsOrigins.length > 0,
    });
    app.addHook("preClose", (done) => {
      unary.stopAccepting();
      done();
    });
    fastPath.current = unary;
  }
  await registerWebApp(app, config.webRoot);
  app.setNotFoundHandler(notFoundHandler);
  return app;
}
