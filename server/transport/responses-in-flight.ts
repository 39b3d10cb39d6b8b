/**
 * The responses a server is still sending, so that a shutdown can tell when
 * every answer has gone out: a stream aborted at shutdown sends its
 * UNAVAILABLE behind the messages already queued for it, which a slow reader
 * takes time to read. A connection can outlive its answers (a client still
 * uploading a request the server refused holds its stream open), so closed
 * connections are not the measure.
 *
 * A response counts until it has finished (its last bytes handed to the
 * connection) or closed without finishing (the client went away).
 */
import type http from "node:http";
import http2 from "node:http2";

type Response = http.ServerResponse | http2.Http2ServerResponse;
/** What sends an answer: the response itself in HTTP/1.1, its stream in HTTP/2. */
type Sender = http.ServerResponse | http2.ServerHttp2Stream;
type Handler<Req, Res> = (req: Req, res: Res) => void;

export interface ResponsesInFlight {
  /** Wraps a request handler, so that its responses are counted. */
  track<Req, Res extends Response>(handler: Handler<Req, Res>): Handler<Req, Res>;
  /** Resolves once no response is in flight. */
  finished(): Promise<void>;
}

export function createResponsesInFlight(): ResponsesInFlight {
  const open = new Set<Sender>();
  let waiting: (() => void)[] = [];
  // One listener for every response (`this` is its sender): nothing is
  // allocated per call but the set entry.
  function settle(this: Sender): void {
    if (open.delete(this) && open.size === 0) {
      for (const resolve of waiting) {
        resolve();
      }
      waiting = [];
    }
  }
  return {
    track: (handler) => (req, res) => {
      const response: Response = res;
      // An HTTP/2 compatibility response finishes only when its stream closes,
      // which the client delays as long as it keeps uploading; the stream's
      // writable side finishes when the answer has been sent.
      const sender = response instanceof http2.Http2ServerResponse ? response.stream : response;
      open.add(sender);
      sender.on("finish", settle);
      sender.on("close", settle);
      handler(req, res);
    },
    finished: () => (open.size === 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve))),
  };
}
