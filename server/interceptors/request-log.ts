/**
 * One structured log line per RPC, when it ends (for a stream, when its last
 * message was sent or it failed): which RPC, its status code, how long it
 * took, who called and the request id.
 *
 * The request id comes from the caller's `x-request-id` header (the web app
 * sends one per call) or is made here, and is echoed back in the response
 * headers, so a call seen by a client can be found in the log.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { FastifyBaseLogger } from "fastify";
import { identityKey } from "../auth/identity.js";
import { peerAddressKey } from "../transport/peer.js";

export const REQUEST_ID_HEADER = "x-request-id";

/** What a caller's id may look like: printable, no spaces, short enough to log. */
const VALID_REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

type Request = Parameters<Parameters<Interceptor>[0]>[0];

export function createRequestLogInterceptor(log: FastifyBaseLogger): Interceptor {
  const logEnd = (req: Request, requestId: string, started: number, error: ConnectError | undefined) => {
    log.info(
      {
        rpc: `${req.service.typeName}/${req.method.name}`,
        code: error === undefined ? "ok" : codeToString(error.code),
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        peer: req.contextValues.get(peerAddressKey),
        userId: req.contextValues.get(identityKey)?.userId,
        requestId,
      },
      "rpc",
    );
  };

  async function* logStreamEnd<T>(messages: AsyncIterable<T>, req: Request, requestId: string, started: number): AsyncGenerator<T> {
    let error: ConnectError | undefined;
    try {
      yield* messages;
    } catch (e) {
      error = ConnectError.from(e);
      throw e;
    } finally {
      // Stopped early without an error: the client went away.
      const ended = error ?? (req.signal.aborted ? ConnectError.from(req.signal.reason, Code.Canceled) : undefined);
      logEnd(req, requestId, started, ended);
    }
  }

  return (next) => async (req) => {
    const started = performance.now();
    const given = req.header.get(REQUEST_ID_HEADER);
    const requestId = given !== null && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    let res;
    try {
      res = await next(req);
    } catch (e) {
      const error = ConnectError.from(e);
      error.metadata.set(REQUEST_ID_HEADER, requestId);
      logEnd(req, requestId, started, error);
      throw error;
    }
    res.header.set(REQUEST_ID_HEADER, requestId);
    if (!res.stream) {
      logEnd(req, requestId, started, undefined);
      return res;
    }
    return { ...res, message: logStreamEnd(res.message, req, requestId, started) };
  };
}
