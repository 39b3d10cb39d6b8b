/**
 * The protocols a security behaviour is checked over: native gRPC on HTTP/2
 * and the Connect protocol with JSON on HTTP/1.1 (what curl and browsers
 * speak). Authentication, authorization and limits must not depend on the
 * protocol, so specs loop over this table instead of repeating themselves.
 */
import http from "node:http";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

export interface ProtocolTransportOptions {
  readonly interceptors?: Interceptor[];
  /** The client's source address, e.g. "127.0.0.2" to call from another loopback address. */
  readonly localAddress?: string;
  /** A deadline on every call, so a server bug fails a test instead of hanging it. */
  readonly timeoutMs?: number;
  /**
   * Closes the transport's connections when aborted. A connection left open
   * (an HTTP/2 session with a stream the server never finished) would keep
   * the server's close, and the test process, waiting.
   */
  readonly signal?: AbortSignal;
}

export interface ProtocolTransport {
  readonly name: string;
  /** Full-duplex streams (Chat) need HTTP/2. */
  readonly fullDuplex: boolean;
  create(baseUrl: string, options?: ProtocolTransportOptions): Transport;
}

const DEFAULT_TIMEOUT_MS = 10_000;

export const protocolTransports: readonly ProtocolTransport[] = [
  {
    name: "gRPC over HTTP/2",
    fullDuplex: true,
    create(baseUrl, options = {}) {
      // http2.connect() hands its options on to net.connect(), which binds
      // the socket to localAddress; Node's typing omits the net options.
      const nodeOptions = options.localAddress === undefined ? undefined : ({ localAddress: options.localAddress } as object);
      const sessionManager = new Http2SessionManager(baseUrl, undefined, nodeOptions);
      options.signal?.addEventListener("abort", () => sessionManager.abort(), { once: true });
      return createGrpcTransport({
        baseUrl,
        sessionManager,
        interceptors: options.interceptors,
        defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
    },
  },
  {
    name: "Connect JSON over HTTP/1.1",
    fullDuplex: false,
    create(baseUrl, options = {}) {
      const agent = new http.Agent({ keepAlive: true });
      options.signal?.addEventListener("abort", () => agent.destroy(), { once: true });
      return createConnectTransport({
        baseUrl,
        httpVersion: "1.1",
        useBinaryFormat: false,
        interceptors: options.interceptors,
        defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        nodeOptions: { agent, ...(options.localAddress !== undefined && { localAddress: options.localAddress }) },
      });
    },
  },
];
