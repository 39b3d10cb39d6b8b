/**
 * One structured log line per RPC, when it ends (for a response stream,
 * when its last message was sent or it failed): the RPC, protocol and HTTP
 * version, status code, duration, caller, request id and, for streams, the
 * messages received and sent. Never a message's content: no password, hash
 * or token reaches the log from here.
 *
 * The request id comes from the caller's `x-request-id` header (the web app
 * sends one per call) or is made here, and is echoed back in the response
 * headers (or error metadata), so a call seen by a client can be found in
 * the log.
 */
import { randomUUID } from "node:crypto";
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { FastifyBaseLogger } from "fastify";
import { identityKey } from "../auth/identity.js";
import { methodInfoOf, protocolOf, streamsRequests, streamsResponses } from "../observability/call-info.js";
import { observeCall, type CallObserver } from "../observability/observe-call.js";
import { httpVersionKey, peerAddressKey } from "../transport/peer.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** What a caller's id may look like: printable, no spaces, short enough to log. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export function createRequestLogInterceptor(log: FastifyBaseLogger): Interceptor {
  // The level is set once at start: below info no line is built at all, and
  // only the request id is echoed.
  // (Fastify's logger type leaves out pino's isLevelEnabled.)
  const logging = (log as FastifyBaseLogger & { isLevelEnabled(level: string): boolean }).isLevelEnabled("info");
  return (next) => async (req) => {
    const given = req.header.get(REQUEST_ID_HEADER);
    const requestId = given !== null && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    try {
      const res = logging ? await observeCall(req, next, new RpcLogLine(log, req, requestId)) : await next(req);
      res.header.set(REQUEST_ID_HEADER, requestId);
      return res;
    } catch (e) {
      const error = ConnectError.from(e);
      error.metadata.set(REQUEST_ID_HEADER, requestId);
      throw error;
    }
  };
}

type Request = Parameters<Parameters<Interceptor>[0]>[0];

/** One call's line, filled in as the call goes and written when it ends. */
class RpcLogLine implements CallObserver {
  readonly #log: FastifyBaseLogger;
  readonly #req: Request;
  readonly #started = performance.now();
  #received = 0;
  #sent = 0;

  constructor(log: FastifyBaseLogger, req: Request, readonly requestId: string) {
    this.#log = log;
    this.#req = req;
  }

  received(): void {
    this.#received++;
  }

  sent(): void {
    this.#sent++;
  }

  end(error: ConnectError | undefined): void {
    const req = this.#req;
    const info = methodInfoOf(req.method);
    this.#log.info(
      {
        rpc: info.rpc,
        kind: info.kind,
        protocol: protocolOf(req.header.get("content-type")),
        httpVersion: req.contextValues.get(httpVersionKey),
        peer: req.contextValues.get(peerAddressKey),
        userId: req.contextValues.get(identityKey)?.userId,
        requestId: this.requestId,
        code: error === undefined ? "ok" : codeToString(error.code),
        durationMs: Math.round((performance.now() - this.#started) * 10) / 10,
        // Counted for streams only: a unary side is one message.
        ...(streamsRequests(info.kind) && { received: this.#received }),
        ...(streamsResponses(info.kind) && { sent: this.#sent }),
      },
      "rpc",
    );
  }
}
