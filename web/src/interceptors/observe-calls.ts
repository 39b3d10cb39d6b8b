/**
 * The shape shared by the interceptors that watch calls: something happens
 * as a call starts (it may set request headers), for every message a
 * server stream delivers, and once when the call ends — for a stream, when
 * its last message has been read or it failed, not when it started.
 */
import { Code, ConnectError, type Interceptor, type UnaryRequest, type StreamRequest } from "@connectrpc/connect";

export interface CallObserver {
  message?(): void;
  /** `error` is undefined when the call succeeded. */
  end(error: ConnectError | undefined): void;
}

export function observeCalls(start: (req: UnaryRequest | StreamRequest) => CallObserver): Interceptor {
  return (next) => async (req) => {
    const observer = start(req);
    let res;
    try {
      res = await next(req);
    } catch (e) {
      observer.end(ConnectError.from(e));
      throw e;
    }
    if (!res.stream) {
      observer.end(undefined);
      return res;
    }
    return { ...res, message: observeMessages(res.message, observer) };
  };
}

async function* observeMessages<T>(messages: AsyncIterable<T>, observer: CallObserver): AsyncGenerator<T> {
  let ended = false;
  try {
    for await (const message of messages) {
      observer.message?.();
      yield message;
    }
    ended = true;
    observer.end(undefined);
  } catch (e) {
    ended = true;
    observer.end(ConnectError.from(e));
    throw e;
  } finally {
    // The reader stopped before the end (it broke out of its loop).
    if (!ended) {
      observer.end(new ConnectError("the client stopped reading", Code.Canceled));
    }
  }
}
