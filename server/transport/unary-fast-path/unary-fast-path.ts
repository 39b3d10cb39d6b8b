/**
 * Lean paths for the most common calls: unary gRPC over HTTP/2 and unary
 * Connect POSTs over HTTP/1.1 and HTTP/2. They take the request before
 * Node's HTTP/2 compatibility layer, Fastify and connect-node's streaming
 * pipeline, which together cost most of the time of a small call (see the
 * README's Performance section). What makes the call is the general path's:
 * the same service implementations and interceptors (auth, rate limits,
 * validation, logs, metrics, traces), the same codecs (@bufbuild/protobuf)
 * and connect-es's own error and header encodings; only the framing around
 * them is ours. test/integration/unary-fast-path.spec.ts checks that every
 * answer matches the general path's.
 *
 * Anything they do not serve exactly like the general path (streams,
 * compressed requests, Connect GET, gRPC-Web, unknown paths, other content
 * types) falls through to Fastify untouched.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type { Interceptor } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import type { Http2StreamHandler } from "../../listen.js";
import { ConnectUnaryCall, isFastConnectCall } from "./connect-unary.js";
import { GrpcUnaryCall, isFastGrpcCall } from "./grpc-unary.js";
import { CallRegistry, createCompressionCache, createUnaryRoutes, type ServedService } from "./unary-routes.js";

export interface UnaryFastPathOptions {
  readonly services: readonly ServedService[];
  /** The interceptors of the general path, in the same order. */
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  readonly maxTimeoutMs: number;
  /** Response compression, negotiated as the general path does. */
  readonly acceptCompression: readonly Compression[];
  readonly compressMinBytes: number;
  /** Aborts the calls still running at the end of a graceful shutdown. */
  readonly shutdownSignal: AbortSignal;
  readonly corsEnabled: boolean;
}

export interface UnaryFastPath extends Http2StreamHandler {
  /** Serves the HTTP/1.1 request and returns true, or returns false and leaves it untouched. */
  tryHandleHttp1(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** From now on, new calls are refused with UNAVAILABLE (the server is closing). */
  stopAccepting(): void;
}

export function createUnaryFastPath(options: UnaryFastPathOptions): UnaryFastPath {
  const routes = createUnaryRoutes(options.services, options.interceptors);
  const calls = new CallRegistry(options.shutdownSignal);
  const grpc = { ...options, calls, responseCompression: createCompressionCache(options.acceptCompression, "grpc-accept-encoding") };
  const connect = { ...options, calls, responseCompression: createCompressionCache(options.acceptCompression, "accept-encoding") };

  return {
    tryHandle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
      const route = routes.get(headers[":path"] ?? "");
      if (route === undefined) {
        return false;
      }
      if (isFastGrpcCall(headers)) {
        new GrpcUnaryCall(grpc, route, stream, headers).start();
        return true;
      }
      if (isFastConnectCall(headers[":method"], headers, options.corsEnabled)) {
        const url = `http://${headers[":authority"] ?? "localhost"}${headers[":path"]}`;
        new ConnectUnaryCall(connect, route, headers, stream, { stream }, url).start();
        return true;
      }
      return false;
    },
    tryHandleHttp1(req, res) {
      const route = routes.get(req.url ?? "");
      if (route === undefined || !isFastConnectCall(req.method, req.headers, options.corsEnabled)) {
        return false;
      }
      new ConnectUnaryCall(connect, route, req.headers, req, { res }, `http://${req.headers.host ?? "localhost"}${req.url}`).start();
      return true;
    },
    stopAccepting() {
      calls.accepting = false;
    },
  };
}
