/**
 * Builds the Fastify application: the RPC routes with their interceptors on
 * the one-port server. Listening is left to the caller (main.ts or a test).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { fastifyConnectPlugin } from "@connectrpc/connect-fastify";
import Fastify, { LogController, type FastifyInstance, type FastifyServerFactory } from "fastify";
import { UserService } from "../gen/user/v1/user_pb.js";
import type { Config } from "./config.js";
import { createInternalErrorsInterceptor } from "./interceptors/internal-errors.js";
import { createValidationInterceptor } from "./interceptors/validation.js";
import { createServerFactory } from "./listen.js";
import { ChatRoom } from "./services/chat-room.js";
import { createScryptHasher } from "./services/password.js";
import { createUserService } from "./services/user-service.js";
import type { UserStore } from "./storage/store.js";
import { guardBidiRoutes } from "./transport/bidi-needs-http2.js";
import { notFoundHandler } from "./transport/not-found.js";

export interface AppOptions {
  readonly config: Config;
  /** Owned by the app from here on: closed when the app closes. */
  readonly store: UserStore;
}

export async function createApp({ config, store }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Fastify's types expect an http.Server; ours is a net.Server that feeds an
    // HTTP/1.1 and an HTTP/2 server, which Fastify drives through the same calls.
    serverFactory: createServerFactory(config.tls) as unknown as FastifyServerFactory,
    logger: { level: config.logLevel },
    // Fastify's two log lines per HTTP request would double the RPC log and cost
    // time on every call.
    logController: new LogController({ disableRequestLogging: true }),
  }) as unknown as FastifyInstance;
  app.addHook("onClose", () => store.close());

  app.addHook("onRoute", guardBidiRoutes([UserService]));

  const room = new ChatRoom();
  const hasher = createScryptHasher(config.passwordHashCost);
  await app.register(fastifyConnectPlugin, {
    routes: (router) => router.service(UserService, createUserService({ store, hasher, room })),
    // Outermost first: a rule that fails to evaluate is masked as INTERNAL.
    interceptors: [createInternalErrorsInterceptor(app.log), createValidationInterceptor({ services: [UserService] })],
    readMaxBytes: config.readMaxBytes,
    maxTimeoutMs: config.maxTimeoutMs,
    // Closing waits for calls in flight; streams (Chat) could run forever.
    shutdownTimeoutMs: config.shutdownGraceMs,
    shutdownError: new ConnectError("the server is shutting down: retry the call", Code.Unavailable),
  });
  app.setNotFoundHandler(notFoundHandler);
  return app;
}
