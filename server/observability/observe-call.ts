/**
 * Watching a call from an interceptor: each message of a request stream as
 * the handler reads it, each message of a response stream as it is sent,
 * and the end — for a response stream, when its last message was sent or it
 * failed, not when the handler returned it. Unary calls pay for no wrapping.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { streamsRequests, streamsResponses } from "./call-info.js";

type Next = Parameters<Interceptor>[0];
type Request = Parameters<Next>[0];
type Response = Awaited<ReturnType<Next>>;

export interface CallObserver {
  received?(): void;
  sent?(): void;
  /** `error` is undefined when the call succeeded. */
  end(error: ConnectError | undefined): void;
}

export async function observeCall(req: Request, next: Next, observer: CallObserver): Promise<Response> {
  // Server-side, a server stream's single request also comes as a stream: not counted.
  const request =
    req.stream && observer.received !== undefined && streamsRequests(req.method.methodKind)
      ? { ...req, message: countReceived(req.message, observer) }
      : req;
  let res: Response;
  try {
    res = await next(request);
  } catch (e) {
    observer.end(ConnectError.from(e));
    throw e;
  }
  if (!res.stream) {
    observer.end(undefined);
    return res;
  }
  // Server-side, a client stream's single response also comes as a stream: not counted.
  const counted = streamsResponses(req.method.methodKind);
  return { ...res, message: watchSent(res.message, observer, req.signal, counted) };
}

async function* countReceived<T>(messages: AsyncIterable<T>, observer: CallObserver): AsyncGenerator<T> {
  for await (const message of messages) {
    observer.received!();
    yield message;
  }
}

async function* watchSent<T>(
  messages: AsyncIterable<T>,
  observer: CallObserver,
  signal: AbortSignal,
  counted: boolean,
): AsyncGenerator<T> {
  let error: ConnectError | undefined;
  try {
    for await (const message of messages) {
      if (counted) {
        observer.sent?.();
      }
      yield message;
    }
  } catch (e) {
    error = ConnectError.from(e);
    throw e;
  } finally {
    // Stopped early without an error of its own: the call was cancelled
    // (client gone, deadline, shutdown), and the signal says why.
    observer.end(error ?? (signal.aborted ? ConnectError.from(signal.reason, Code.Canceled) : undefined));
  }
}
