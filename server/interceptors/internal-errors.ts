/**
 * Keeps unexpected failures private: any error that is not a ConnectError
 * reaches the client as INTERNAL with a generic message, and its details
 * (message, stack) go only to the server log.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";

type Request = Parameters<Parameters<Interceptor>[0]>[0];

export function createInternalErrorsInterceptor(log: FastifyBaseLogger): Interceptor {
  const toClientError = (e: unknown, req: Request): ConnectError => {
    if (e instanceof ConnectError) {
      return e;
    }
    if (req.signal.aborted) {
      // The handler stopped because the call ended (client gone, deadline,
      // shutdown): the signal's reason is the real outcome.
      return ConnectError.from(req.signal.reason, Code.Canceled);
    }
    log.error({ err: e, rpc: `${req.service.typeName}/${req.method.name}` }, "unexpected failure in RPC handler");
    return new ConnectError("internal error: the server failed to handle the request", Code.Internal);
  };

  async function* guardStream<T>(messages: AsyncIterable<T>, req: Request): AsyncGenerator<T> {
    try {
      yield* messages;
    } catch (e) {
      throw toClientError(e, req);
    }
  }

  return (next) => async (req) => {
    try {
      const res = await next(req);
      return res.stream ? { ...res, message: guardStream(res.message, req) } : res;
    } catch (e) {
      throw toClientError(e, req);
    }
  };
}
