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
import { CallLifetime } from "./call-lifetime.js";
import { headerValue, type CallRegistry, type UnaryRoute } from "./unary-routes.js";

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
  readonly #lifetime: CallLifetime;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(options: GrpcUnaryOptions, route: UnaryRoute, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    this.#options = options;
    this.#route = route;
    this.#stream = stream;
    this.#headers = headers;
    this.#lifetime = new CallLifetime(options.calls, stream);
  }

  start(): void {
    const stream = this.#stream;
    // Errors on the stream (a reset, a broken connection) end in 'close'.
    stream.on("error", ignore);
    const refusal = this.#lifetime.refusal();
    if (refusal !== undefined) {
      this.#fail(refusal);
      return;
    }
    stream.on("data", (chunk: Buffer) => this.#receive(chunk));
    stream.once("end", () => void this.#run());
  }

  #receive(chunk: Buffer): void {
    if (this.#lifetime.finished) {
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
    if (this.#lifetime.finished) {
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

    const compression = options.responseCompression(headerValue(this.#headers["grpc-accept-encoding"]));
    let response: UnaryResponse | undefined;
    try {
      response = await this.#lifetime.invoke(this.#route, {
        message: input,
        url: `http://${headerValue(this.#headers[":authority"]) ?? "localhost"}${this.#headers[":path"]}`,
        headers: this.#headers,
        socket: this.#stream.session?.socket,
        httpVersion: "2.0",
        protocolName: "grpc",
        timeoutMs: timeout.timeoutMs,
      });
      this.#lifetime.throwIfAborted();
      if (compression !== null) {
        response.header.set("grpc-encoding", compression.name);
      }
      let message = toBinary(method.output, response.message);
      const compress = compression !== null && message.byteLength >= options.compressMinBytes;
      if (compress) {
        message = await compression.compress(message);
      }
      this.#lifetime.finish();
      respondWithMessage(this.#stream, response.header, response.trailer, envelope(message, compress));
    } catch (e) {
      const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
      if (compression !== null) {
        error.metadata.set("grpc-encoding", compression.name);
      }
      this.#lifetime.finish();
      respondWithError(this.#stream, response?.header, error);
    }
  }

  #fail(error: ConnectError): void {
    this.#lifetime.finish();
    respondWithError(this.#stream, undefined, error);
    // The client may still be sending (an oversized message): stop reading.
    if (!this.#stream.readableEnded) {
      this.#stream.close();
    }
  }
}

function ignore(): void {}
