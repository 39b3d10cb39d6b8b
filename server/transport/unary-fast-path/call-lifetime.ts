/**
 * What every fast-path call handles the same way, whatever its protocol:
 * its abort signal (the client going away, its deadline, the end of a
 * graceful shutdown), its place among the calls in flight, and the request
 * the route's interceptors and implementation see.
 */
import type { EventEmitter } from "node:events";
import type http2 from "node:http2";
import type net from "node:net";
import type { Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import { contextValuesOf, requestHeaderOf, type AbortableCall, type CallRegistry, type FastUnaryRequest, type UnaryRoute } from "./unary-routes.js";

export interface CallInput {
  readonly message: Message;
  readonly url: string;
  readonly headers: http2.IncomingHttpHeaders;
  readonly socket: net.Socket | undefined;
  readonly httpVersion: "1.1" | "2.0";
  readonly protocolName: FastUnaryRequest["protocolName"];
  readonly timeoutMs: number | undefined;
}

export class CallLifetime implements AbortableCall {
  readonly #calls: CallRegistry;
  readonly #controller = new AbortController();
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #finished = false;

  /** `closes` emits 'close' when the client has gone, or once the call is answered. */
  constructor(calls: CallRegistry, closes: EventEmitter) {
    this.#calls = calls;
    closes.once("close", () => {
      if (!this.#finished) {
        this.abort(new ConnectError("the client cancelled the call", Code.Canceled));
      }
    });
  }

  /** Why a new call is refused now, if it is: the server is closing. */
  refusal(): ConnectError | undefined {
    return this.#calls.accepting ? undefined : new ConnectError("the server is shutting down: retry the call", Code.Unavailable);
  }

  get finished(): boolean {
    return this.#finished;
  }

  abort(reason: unknown): void {
    if (!this.#finished && !this.#controller.signal.aborted) {
      this.#controller.abort(reason);
    }
  }

  /** The call is answered (or about to be): no more aborts, no deadline. */
  finish(): void {
    this.#finished = true;
    clearTimeout(this.#deadline);
  }

  /** Runs the route's interceptors and implementation under this call's signal and deadline. */
  async invoke(route: UnaryRoute, input: CallInput): Promise<UnaryResponse> {
    const { method } = route;
    if (input.timeoutMs !== undefined) {
      this.#deadline = setTimeout(() => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), input.timeoutMs);
    }
    const request: FastUnaryRequest = {
      stream: false,
      method,
      service: method.parent,
      message: input.message,
      requestMethod: "POST",
      url: input.url,
      signal: this.#controller.signal,
      header: requestHeaderOf(input.headers),
      contextValues: contextValuesOf(input.socket, input.httpVersion),
      protocolName: input.protocolName,
      deadlineAt: input.timeoutMs === undefined ? undefined : Date.now() + input.timeoutMs,
    };
    this.#calls.inFlight.add(this);
    try {
      return await route.call(request);
    } finally {
      this.#calls.inFlight.delete(this);
    }
  }

  /** An answer that came after an abort is not sent: the abort's reason is. */
  throwIfAborted(): void {
    if (this.#controller.signal.aborted) {
      throw this.#controller.signal.reason;
    }
  }
}
