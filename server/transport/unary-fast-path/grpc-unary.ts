/**
 * Unary gRPC over HTTP/2 on the stream API: HEADERS and one DATA frame in,
 * HEADERS, one DATA frame and trailers out. It takes only what it serves
 * exactly like the general path: POST, content type application/grpc or
 * application/grpc+proto, no request compression, a unary method.
 */
import type http2 from "node:http2";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import type { Compression } from "@connectrpc/connect/protocol";
import { parseTimeout } from "@connectrpc/connect/protocol-grpc";
import { respondWithError, respondWithMessage } from "./grpc-respond.js";
import { checkDeclaredLength, envelope, unwrapUnaryEnvelope } from "./grpc-envelope.js";
import {
  contextValuesOf,
  headerValue,
  requestHeaderOf,
  type CallRegistry,
  type FastUnaryRequest,
  type UnaryRoute,
} from "./unary-routes.js";

export interface GrpcUnaryOptions {
  readonly readMaxBytes: number;
  readonly maxTimeoutMs: number;
  readonly compressMinBytes: number;
  readonly responseCompression: (acceptEncoding: string | null) => Compression | null;
  readonly calls: CallRegistry;
}

/** Whether this stream is a call the gRPC fast path serves. */
export function isFastGrpcCall(headers: http2.IncomingHttpHeaders): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["grpc-encoding"];
  return (
    headers[":method"] === "POST" &&
    (contentType === "application/grpc" || contentType === "application/grpc+proto") &&
    (encoding === undefined || encoding === "identity")
  );
}

export class GrpcUnaryCall {
  readonly #options: GrpcUnaryOptions;
  readonly #route: UnaryRoute;
  readonly #stream: http2.ServerHttp2Stream;
  readonly #headers: http2.IncomingHttpHeaders;
  readonly #controller = new AbortController();
  #chunks: Buffer[] = [];
  #size = 0;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #finished = false;

  constructor(options: GrpcUnaryOptions, route: UnaryRoute, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    this.#options = options;
    this.#route = route;
    this.#stream = stream;
    this.#headers = headers;
  }

  start(): void {
    const stream = this.#stream;
    // Errors on the stream (a reset, a broken connection) end in 'close'.
    stream.on("error", ignore);
    stream.once("close", () => {
      if (!this.#finished) {
        this.abort(new ConnectError("the client cancelled the call", Code.Canceled));
      }
    });
    if (!this.#options.calls.accepting) {
      this.#fail(new ConnectError("the server is shutting down: retry the call", Code.Unavailable));
      return;
    }
    stream.on("data", (chunk: Buffer) => this.#receive(chunk));
    stream.once("end", () => void this.#run());
  }

  abort(reason: unknown): void {
    if (!this.#finished && !this.#controller.signal.aborted) {
      this.#controller.abort(reason);
    }
  }

  #receive(chunk: Buffer): void {
    if (this.#finished) {
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    // Refuse an oversized message as soon as its length is known, unread.
    if (this.#size >= 5 && this.#chunks.length <= 2) {
      const head = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks);
      const tooLong = checkDeclaredLength(head, this.#options.readMaxBytes);
      if (tooLong !== undefined) {
        this.#fail(tooLong);
      }
    }
  }

  async #run(): Promise<void> {
    if (this.#finished) {
      return;
    }
    const options = this.#options;
    const timeout = parseTimeout(headerValue(this.#headers["grpc-timeout"]), options.maxTimeoutMs);
    if (timeout.error !== undefined) {
      return this.#fail(timeout.error);
    }
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    const bytes = unwrapUnaryEnvelope(body, options.readMaxBytes);
    if (bytes instanceof ConnectError) {
      return this.#fail(bytes);
    }
    const method = this.#route.method;
    let input;
    try {
      input = fromBinary(method.input, bytes);
    } catch (e) {
      return this.#fail(new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal));
    }

    if (timeout.timeoutMs !== undefined) {
      this.#deadline = setTimeout(() => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeout.timeoutMs);
    }
    const compression = options.responseCompression(headerValue(this.#headers["grpc-accept-encoding"]));
    const request: FastUnaryRequest = {
      stream: false,
      method,
      service: method.parent,
      message: input,
      requestMethod: "POST",
      url: `http://${headerValue(this.#headers[":authority"]) ?? "localhost"}${this.#headers[":path"]}`,
      signal: this.#controller.signal,
      header: requestHeaderOf(this.#headers),
      contextValues: contextValuesOf(this.#stream.session?.socket, "2.0"),
      protocolName: "grpc",
      deadlineAt: timeout.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs,
    };
    options.calls.inFlight.add(this);
    let response: UnaryResponse | undefined;
    try {
      response = await this.#route.call(request);
      if (this.#controller.signal.aborted) {
        throw this.#controller.signal.reason;
      }
      if (compression !== null) {
        response.header.set("grpc-encoding", compression.name);
      }
      let message = toBinary(method.output, response.message);
      const compress = compression !== null && message.byteLength >= options.compressMinBytes;
      if (compress) {
        message = await compression.compress(message);
      }
      this.#finish();
      respondWithMessage(this.#stream, response.header, response.trailer, envelope(message, compress));
    } catch (e) {
      const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
      if (compression !== null) {
        error.metadata.set("grpc-encoding", compression.name);
      }
      this.#finish();
      respondWithError(this.#stream, response?.header, error);
    } finally {
      options.calls.inFlight.delete(this);
    }
  }

  #fail(error: ConnectError): void {
    this.#finish();
    respondWithError(this.#stream, undefined, error);
    // The client may still be sending (an oversized message): stop reading.
    if (!this.#stream.readableEnded) {
      this.#stream.close();
    }
  }

  #finish(): void {
    this.#finished = true;
    clearTimeout(this.#deadline);
  }
}

function ignore(): void {}
