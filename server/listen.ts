/**
 * One port for every protocol.
 *
 * Plaintext: native gRPC clients speak HTTP/2 with prior knowledge (h2c), while
 * browsers and curl speak HTTP/1.1. Node's http2 server does not accept
 * HTTP/1.1 without TLS, so a TCP server reads the first bytes of each
 * connection and hands the socket to an HTTP/2 or an HTTP/1.1 server, both
 * running Fastify's handler.
 *
 * TLS: ALPN negotiates h2 or http/1.1, which Node's secure http2 server does
 * natively with allowHTTP1.
 */
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { TLSSocket } from "node:tls";
import type { TlsConfig } from "./config.js";
import { GrpcMessageFixingResponse } from "./transport/grpc-status.js";
import { createResponsesInFlight } from "./transport/responses-in-flight.js";

/** Fastify's handler: it serves HTTP/1.1 and HTTP/2 compatibility requests alike. */
type RequestHandler = http.RequestListener;
type Http2RequestHandler = (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void;

/** What Fastify calls, beyond net.Server, to close connections on shutdown. */
export interface OnePortServer extends net.Server {
  closeIdleConnections(): void;
  closeHttp2Sessions(): void;
  /** Resolves once every response started so far has finished (or its client went away). */
  responsesFinished(): Promise<void>;
  /** Drops every connection at once: the end of a graceful shutdown that ran out of time. */
  closeAllConnections(): void;
}

/** As in OpenTelemetry's network.protocol.version. */
export type HttpVersion = "1.1" | "2";

/** Told of each connection once it is classified, and again when it closes. */
export interface ConnectionObserver {
  opened(httpVersion: HttpVersion): void;
  closed(httpVersion: HttpVersion): void;
}

/** For a server that keeps no connection counts. */
export const IGNORE_CONNECTIONS: ConnectionObserver = { opened() {}, closed() {} };

/** The client connection preface every HTTP/2 connection starts with (RFC 9113, 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** A client that connects but does not send its first bytes in time is dropped. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;

/** Idle HTTP/1.1 keep-alive connections are closed after this (above common proxy defaults of 60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/** Request headers must arrive within this time (slow-loris guard). */
const HEADERS_TIMEOUT_MS = 30_000;

/** Request header limit for both HTTP versions (Node's HTTP/1.1 default). */
const MAX_HEADER_BYTES = 16 * 1024;

const HTTP2_OPTIONS: http2.ServerOptions = {
  // Node's typing wants a class generic over the request type; ours serves any.
  Http2ServerResponse: GrpcMessageFixingResponse as typeof http2.Http2ServerResponse,
  // Node allows 2^32-1 streams per connection by default: one client could
  // open them all. 100 is the minimum RFC 9113 recommends and what gRPC servers use.
  settings: { maxConcurrentStreams: 100, maxHeaderListSize: MAX_HEADER_BYTES },
};

/**
 * Serves some requests itself before Fastify sees them (the unary fast
 * paths): HTTP/2 streams before Node's compatibility layer, HTTP/1.1
 * requests before Fastify's handler. Each returns false for the rest.
 */
export interface Http2StreamHandler {
  tryHandle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
}

export interface FastPathHandler extends Http2StreamHandler {
  tryHandleHttp1(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

/** Filled in once the app has built what the handler serves; empty, every request goes to Fastify. */
export interface FastPathSlot {
  current: FastPathHandler | undefined;
}

export interface ServerFactoryOptions {
  readonly tls: TlsConfig | undefined;
  readonly idleProbeMs: number;
  readonly streams: FastPathSlot;
  readonly connections: ConnectionObserver;
}

/** Creates Fastify's `serverFactory` for the configured transport. */
export function createServerFactory(options: ServerFactoryOptions) {
  return (handler: RequestHandler): OnePortServer =>
    options.tls ? createTlsServer(handler, options.tls, options) : createPlaintextServer(handler, options);
}

function createPlaintextServer(handler: RequestHandler, { idleProbeMs, streams, connections }: ServerFactoryOptions): OnePortServer {
  const responses = createResponsesInFlight();
  const h1 = http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, responses.track(offerRequestsFirstTo(streams, handler)));
  applyHttp1Timeouts(h1);
  const h2 = http2.createServer(HTTP2_OPTIONS, responses.track(handler as unknown as Http2RequestHandler));
  offerStreamsFirstTo(h2, streams);
  const sessions = trackSessions(h2, idleProbeMs);

  const server = net.createServer((socket) => {
    routeByPreface(socket, (isHttp2) => {
      observeConnection(socket, isHttp2 ? "2" : "1.1", connections);
      if (isHttp2) {
        // The HTTP/2 session takes over the socket and first reads what is buffered.
        h2.emit("connection", socket);
      } else {
        // The HTTP/1.1 parser reads new bytes straight from the socket's handle;
        // resuming flushes the buffered first bytes to it before any new I/O.
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });
  // The HTTP/1.1 server never listens itself, but its connection tracking
  // (which enforces headersTimeout and finds idle connections to close on
  // shutdown) starts on 'listening' and stops on close.
  server.once("listening", () => h1.emit("listening"));
  server.once("close", () => h1.close());
  return Object.assign(server, {
    closeIdleConnections: () => keepClosingIdle(server, () => h1.closeIdleConnections()),
    closeHttp2Sessions: () => closeAll(sessions),
    responsesFinished: responses.finished,
    closeAllConnections: () => {
      h1.closeAllConnections();
      destroyAll(sessions);
    },
  });
}

function createTlsServer(handler: RequestHandler, tls: TlsConfig, { idleProbeMs, streams, connections }: ServerFactoryOptions): OnePortServer {
  const responses = createResponsesInFlight();
  const server = http2.createSecureServer(
    {
      ...HTTP2_OPTIONS,
      cert: tls.cert,
      key: tls.key,
      minVersion: "TLSv1.2",
      allowHTTP1: true,
      ALPNProtocols: ["h2", "http/1.1"],
      // mTLS: the handshake fails for a client without a certificate from these CAs.
      ...(tls.clientCa && { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    responses.track(handler as unknown as Http2RequestHandler),
  );
  offerStreamsFirstTo(server, streams);
  // With allowHTTP1, Node serves http/1.1 connections with its HTTP/1.1
  // machinery, which reads these limits from the server itself.
  applyHttp1Timeouts(server as unknown as http.Server);
  // A client without ALPN gets HTTP/1.1 (allowHTTP1).
  server.on("secureConnection", (socket: TLSSocket) =>
    observeConnection(socket, socket.alpnProtocol === "h2" ? "2" : "1.1", connections),
  );
  const sessions = trackSessions(server, idleProbeMs);
  return Object.assign(server as unknown as net.Server, {
    // The same HTTP/1.1 connection list backs these connections; Http2SecureServer
    // only lacks the method.
    closeIdleConnections: () =>
      keepClosingIdle(server, () => http.Server.prototype.closeIdleConnections.call(server)),
    closeHttp2Sessions: () => closeAll(sessions),
    responsesFinished: responses.finished,
    closeAllConnections: () => {
      http.Server.prototype.closeAllConnections.call(server);
      destroyAll(sessions);
    },
  });
}

function observeConnection(socket: net.Socket, httpVersion: HttpVersion, connections: ConnectionObserver): void {
  connections.opened(httpVersion);
  socket.once("close", () => connections.closed(httpVersion));
}

function applyHttp1Timeouts(server: http.Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  // Streams (ListUsers, Chat) may legitimately run for hours; deadlines are
  // the client's business, carried by grpc-timeout / connect-timeout-ms.
  server.requestTimeout = 0;
}

/**
 * Waits for enough bytes to tell whether the client sent the HTTP/2 preface,
 * then puts them back so the chosen server reads the connection from its start.
 */
function routeByPreface(socket: net.Socket, route: (isHttp2: boolean) => void): void {
  let received: Buffer = Buffer.alloc(0);
  const timer = setTimeout(() => socket.destroy(), FIRST_BYTES_TIMEOUT_MS);
  const onData = (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const compared = Math.min(received.length, HTTP2_PREFACE.length);
    const prefaceSoFar = received.subarray(0, compared).equals(HTTP2_PREFACE.subarray(0, compared));
    if (prefaceSoFar && received.length < HTTP2_PREFACE.length) {
      return;
    }
    stop();
    socket.pause();
    socket.unshift(received);
    route(prefaceSoFar);
  };
  const onEnd = () => {
    stop();
    socket.destroy();
  };
  const stop = () => {
    clearTimeout(timer);
    socket.off("data", onData);
    socket.off("error", onEnd);
    socket.off("end", onEnd);
  };
  socket.on("data", onData);
  socket.on("error", onEnd);
  socket.on("end", onEnd);
}

/**
 * Node's HTTP/2 server hands every new stream to its compatibility layer
 * (which makes the request and response objects Fastify uses) through its
 * one 'stream' listener. That listener moves behind ours: the slot's handler
 * sees each stream first and takes the ones it serves.
 */
/** HTTP/1.1 requests go to the slot's handler first, then to Fastify's. */
function offerRequestsFirstTo(slot: FastPathSlot, handler: RequestHandler): RequestHandler {
  return (req, res) => {
    if (slot.current?.tryHandleHttp1(req, res) !== true) {
      handler(req, res);
    }
  };
}

function offerStreamsFirstTo(server: http2.Http2Server | http2.Http2SecureServer, slot: FastPathSlot): void {
  const listeners = server.listeners("stream");
  const compatibility = listeners[0];
  if (listeners.length !== 1 || compatibility === undefined) {
    throw new Error(`expected Node's HTTP/2 compatibility layer as the one 'stream' listener, found ${listeners.length}`);
  }
  server.removeAllListeners("stream");
  server.on("stream", function (this: unknown, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) {
    if (slot.current?.tryHandle(stream, headers) !== true) {
      compatibility.call(this, stream, headers, ...rest);
    }
  });
}

function trackSessions(
  server: http2.Http2Server | http2.Http2SecureServer,
  idleProbeMs: number,
): Set<http2.ServerHttp2Session> {
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session: http2.ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.setTimeout(idleProbeMs, () => probe(session, idleProbeMs));
  });
  return sessions;
}

/**
 * A connection silent for a while may be a live but quiet stream (a chat
 * member waiting for messages) or a peer that vanished without closing TCP.
 * A PING tells them apart: an unanswered one closes the connection and the
 * streams it held.
 */
function probe(session: http2.ServerHttp2Session, timeoutMs: number): void {
  if (session.closed || session.destroyed) {
    return;
  }
  const timer = setTimeout(() => session.destroy(), timeoutMs).unref();
  session.ping((err) => {
    clearTimeout(timer);
    if (err) {
      session.destroy();
    }
  });
}

/**
 * Closes idle HTTP/1.1 connections now and, until the server has closed, those
 * that become idle later: a connection busy with a stream at shutdown would
 * otherwise stay open for its whole keep-alive timeout once the stream ends.
 */
function keepClosingIdle(server: net.Server, closeIdle: () => void): void {
  closeIdle();
  const timer = setInterval(closeIdle, 250).unref();
  server.once("close", () => clearInterval(timer));
}

/** Sends GOAWAY: open streams finish, no new ones start. */
function closeAll(sessions: Set<http2.ServerHttp2Session>): void {
  for (const session of sessions) {
    session.close();
  }
}

function destroyAll(sessions: Set<http2.ServerHttp2Session>): void {
  for (const session of sessions) {
    session.destroy();
  }
}
