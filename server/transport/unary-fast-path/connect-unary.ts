/**
 * Unary calls in the Connect protocol (what curl and browsers send): the
 * request body is the message, JSON (application/json) or binary
 * (application/proto); the answer is the message, or an error as JSON with
 * the HTTP status that matches its code; trailers go out as `trailer-*`
 * headers. The same on HTTP/1.1 (request and response objects) and HTTP/2
 * (the stream). It takes only POSTs without request compression; GET,
 * compressed bodies and other content types stay on the general path.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type { Readable } from "node:stream";
import { fromBinary, fromJsonString, toBinary, toJsonString, type DescMessage, type Message } from "@bufbuild/protobuf";
import { Code, ConnectError, type UnaryResponse } from "@connectrpc/connect";
import { getJsonOptions, type Compression } from "@connectrpc/connect/protocol";
import { codeToHttpStatus, errorToJsonBytes, parseTimeout, trailerMux } from "@connectrpc/connect/protocol-connect";
import { RPC_CACHE_CONTROL } from "../cache-control.js";
import { CallLifetime } from "./call-lifetime.js";
import { headerValue, type CallRegistry, type UnaryRoute } from "./unary-routes.js";

export interface ConnectUnaryOptions {
  readonly readMaxBytes: number;
  readonly maxTimeoutMs: number;
  readonly compressMinBytes: number;
  readonly responseCompression: (acceptEncoding: string | null) => Compression | null;
  readonly calls: CallRegistry;
  /** With CORS on, browser calls from other origins need its headers: the general path adds them. */
  readonly corsEnabled: boolean;
}

/** connect-es's defaults: unknown JSON fields are ignored. */
const JSON_OPTIONS = getJsonOptions(undefined);
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** Whether this request is a call the Connect fast path serves. */
export function isFastConnectCall(method: string | undefined, headers: http.IncomingHttpHeaders, corsEnabled: boolean): boolean {
  const contentType = headers["content-type"];
  const encoding = headers["content-encoding"];
  return (
    method === "POST" &&
    (contentType === "application/json" || contentType === "application/proto") &&
    (encoding === undefined || encoding === "identity") &&
    !(corsEnabled && headers.origin !== undefined)
  );
}

/** Where the answer goes: an HTTP/1.1 response or an HTTP/2 stream. */
type Reply = { readonly res: http.ServerResponse } | { readonly stream: http2.ServerHttp2Stream };

export class ConnectUnaryCall {
  readonly #options: ConnectUnaryOptions;
  readonly #route: UnaryRoute;
  readonly #headers: http.IncomingHttpHeaders;
  readonly #body: Readable;
  readonly #reply: Reply;
  readonly #url: string;
  readonly #binary: boolean;
  readonly #lifetime: CallLifetime;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(options: ConnectUnaryOptions, route: UnaryRoute, headers: http.IncomingHttpHeaders, body: Readable, reply: Reply, url: string) {
    this.#options = options;
    this.#route = route;
    this.#headers = headers;
    this.#body = body;
    this.#reply = reply;
    this.#url = url;
    this.#binary = headers["content-type"] === "application/proto";
    // An HTTP/1.1 request closes once its body is read: the response's close
    // (before this call finished) is what says the client went away.
    this.#lifetime = new CallLifetime(options.calls, "res" in reply ? reply.res : body);
  }

  start(): void {
    const body = this.#body;
    body.on("error", ignore);
    const refusal = this.#lifetime.refusal();
    if (refusal !== undefined) {
      this.#respondError(refusal, undefined);
      return;
    }
    const declared = Number(this.#headers["content-length"]);
    if (declared > this.#options.readMaxBytes) {
      this.#respondError(
        new ConnectError(`message size ${declared} is larger than configured readMaxBytes ${this.#options.readMaxBytes}`, Code.ResourceExhausted),
        undefined,
      );
      return;
    }
    body.on("data", (chunk: Buffer) => this.#receive(chunk));
    body.once("end", () => void this.#run());
  }

  #receive(chunk: Buffer): void {
    if (this.#lifetime.finished) {
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
    if (this.#size > this.#options.readMaxBytes) {
      this.#respondError(
        new ConnectError(`message size is larger than configured readMaxBytes ${this.#options.readMaxBytes}`, Code.ResourceExhausted),
        undefined,
      );
    }
  }

  async #run(): Promise<void> {
    if (this.#lifetime.finished) {
      return;
    }
    const options = this.#options;
    const method = this.#route.method;
    const compression = options.responseCompression(headerValue(this.#headers["accept-encoding"]));
    const timeout = parseTimeout(headerValue(this.#headers["connect-timeout-ms"]), options.maxTimeoutMs);
    if (timeout.error !== undefined) {
      return this.#respondError(timeout.error, undefined, compression);
    }
    const bytes = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#chunks = [];
    let input: Message;
    try {
      input = this.#parse(method.input, bytes);
    } catch (e) {
      return this.#respondError(ConnectError.from(e), undefined, compression);
    }

    let response: UnaryResponse | undefined;
    try {
      const http1 = "res" in this.#reply;
      response = await this.#lifetime.invoke(this.#route, {
        message: input,
        url: this.#url,
        headers: this.#headers,
        socket: (http1 ? this.#reply.res.socket : this.#reply.stream.session?.socket) ?? undefined,
        httpVersion: http1 ? "1.1" : "2.0",
        protocolName: "connect",
        timeoutMs: timeout.timeoutMs,
      });
      this.#lifetime.throwIfAborted();
      const body = this.#binary
        ? toBinary(method.output, response.message)
        : textEncoder.encode(toJsonString(method.output, response.message, JSON_OPTIONS));
      const headers = trailerMux(response.header, response.trailer);
      headers.set("content-type", this.#binary ? "application/proto" : "application/json");
      await this.#respond(200, headers, body, compression);
    } catch (e) {
      const error = e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
      await this.#respondError(error, response?.header, compression);
    }
  }

  /** As connect-es parses: a JSON error is INVALID_ARGUMENT, a binary one INTERNAL. */
  #parse(schema: DescMessage, bytes: Uint8Array): Message {
    if (this.#binary) {
      try {
        return fromBinary(schema, bytes);
      } catch (e) {
        throw new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
      }
    }
    try {
      return fromJsonString(schema, textDecoder.decode(bytes), JSON_OPTIONS);
    } catch (e) {
      throw ConnectError.from(e, Code.InvalidArgument);
    }
  }

  async #respondError(error: ConnectError, header: Headers | undefined, compression: Compression | null = null): Promise<void> {
    const headers = new Headers(header);
    headers.set("content-type", "application/json");
    error.metadata.forEach((value, key) => headers.set(key, value));
    await this.#respond(codeToHttpStatus(error.code), headers, errorToJsonBytes(error, JSON_OPTIONS), compression);
  }

  async #respond(status: number, headers: Headers, body: Uint8Array, compression: Compression | null): Promise<void> {
    if (this.#lifetime.finished) {
      return;
    }
    this.#lifetime.finish();
    if (compression !== null && body.byteLength >= this.#options.compressMinBytes) {
      body = await compression.compress(body);
      headers.set("content-encoding", compression.name);
    }
    const out: http.OutgoingHttpHeaders = { "cache-control": RPC_CACHE_CONTROL };
    headers.forEach((value, key) => {
      out[key] = value;
    });
    out["content-length"] = body.byteLength;
    if ("res" in this.#reply) {
      const { res } = this.#reply;
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(status, out);
        res.end(body);
      }
    } else {
      const { stream } = this.#reply;
      if (!stream.headersSent && !stream.destroyed) {
        out[":status"] = status;
        stream.respond(out);
        stream.end(body);
      }
    }
  }
}

function ignore(): void {}
