/**
 * A lean path for the most common call: a unary gRPC request over HTTP/2.
 * It takes the HTTP/2 stream straight from the session, before Node's
 * compatibility layer, Fastify and connect-node's streaming pipeline, which
 * together cost most of the time of a small call. What makes the call is the
 * same as on the general path: the same service implementation, the same
 * interceptors (auth, rate limits, validation, logs), the same codecs
 * (@bufbuild/protobuf) and connect-es's own invocation of them; only the
 * framing around them is ours.
 *
 * It takes only what it serves exactly like the general path: POST, content
 * type application/grpc or application/grpc+proto, no request compression,
 * a unary method of a registered service. Anything else (other protocols,
 * streams, compressed requests, unknown paths) falls through to Fastify.
 */
import type http2 from "node:http2";
import { create, fromBinary, toBinary, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type UnaryRequest,
  type UnaryResponse,
  createServiceImplSpec,
  type MethodImplSpec,
  type ServiceImpl,
} from "@connectrpc/connect";
import { compressionNegotiate, type Compression } from "@connectrpc/connect/protocol";
import { parseTimeout } from "@connectrpc/connect/protocol-grpc";
import { httpVersionKey, peerAddressKey } from "../peer.js";
import { respondWithError, respondWithMessage } from "./respond.js";
import { checkDeclaredLength, envelope, unwrapUnaryEnvelope } from "./unary-envelope.js";

/** A service and its implementation, as given to the router of the general path. */
export interface ServedService {
  readonly service: DescService;
  readonly implementation: object;
}

export interface GrpcUnaryFastPathOptions {
  readonly services: readonly ServedService[];
  /** The interceptors of the general path, in the same order. */
  readonly interceptors: readonly Interceptor[];
  readonly readMaxBytes: number;
  readonly maxTimeoutMs: number;
  /** Response compression, negotiated as the general path does. */
  readonly acceptCompression: readonly Compression[];
  readonly compressMinBytes: number;
  /** Aborts the calls still running at the end of a graceful shutdown. */
  readonly shutdownSignal: AbortSignal;
}

export interface GrpcFastPath {
  /** Serves the stream and returns true, or returns false and leaves it untouched. */
  tryHandle(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): boolean;
  /** From now on, new calls are refused with UNAVAILABLE (the server is closing). */
  stopAccepting(): void;
}

type UnarySpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** A unary method with its interceptors applied: built once at start, not per call as connect-es does. */
interface UnaryRoute {
  readonly spec: UnarySpec;
  readonly call: (req: FastUnaryRequest) => Promise<UnaryResponse>;
}

/** A request as interceptors see it, plus the deadline the handler context reports. */
type FastUnaryRequest = UnaryRequest & { readonly deadlineAt: number | undefined };

function createUnaryRoute(spec: UnarySpec, interceptors: readonly Interceptor[]): UnaryRoute {
  const method = spec.method;
  const handle = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const deadlineAt = (req as FastUnaryRequest).deadlineAt;
    const context: HandlerContext = {
      method,
      service: method.parent,
      protocolName: "grpc",
      requestMethod: req.requestMethod,
      url: req.url,
      signal: req.signal,
      timeoutMs: () => (deadlineAt === undefined ? undefined : deadlineAt - Date.now()),
      requestHeader: req.header,
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      values: req.contextValues,
    };
    const output = await spec.impl(req.message, context);
    return {
      stream: false,
      method,
      service: method.parent,
      message: create(method.output, output),
      header: context.responseHeader,
      trailer: context.responseTrailer,
    };
  };
  // The first interceptor is the outermost, as on the general path.
  let call = handle as Parameters<Interceptor>[0];
  for (const interceptor of [...interceptors].reverse()) {
    call = interceptor(call);
  }
  return { spec, call: call as UnaryRoute["call"] };
}

export function createGrpcUnaryFastPath(options: GrpcUnaryFastPathOptions): GrpcFastPath {
  const routes = new Map<string, UnaryRoute>();
  for (const { service, implementation } of options.services) {
    // The router's own wrapping of an implementation (methods bound, missing ones UNIMPLEMENTED).
    const specs = createServiceImplSpec(service, implementation as Partial<ServiceImpl<DescService>>);
    for (const spec of Object.values(specs.methods)) {
      if (spec.kind === "unary") {
        routes.set(`/${service.typeName}/${spec.method.name}`, createUnaryRoute(spec, options.interceptors));
      }
    }
  }
  const shared: SharedState = {
    options,
    inFlight: new Set(),
    accepting: true,
    responseCompression: createCompressionCache(options.acceptCompression),
  };
  options.shutdownSignal.addEventListener(
    "abort",
    () => {
      for (const call of shared.inFlight) {
        call.abort(options.shutdownSignal.reason);
      }
    },
    { once: true },
  );

  return {
    tryHandle(stream, headers) {
      const route = routes.get(headers[":path"] ?? "");
      const contentType = headers["content-type"];
      const encoding = headers["grpc-encoding"];
      if (
        route === undefined ||
        headers[":method"] !== "POST" ||
        (contentType !== "application/grpc" && contentType !== "application/grpc+proto") ||
        (encoding !== undefined && encoding !== "identity")
      ) {
        return false;
      }
      new UnaryCall(shared, route, stream, headers).start();
      return true;
    },
    stopAccepting() {
      shared.accepting = false;
    },
  };
}

interface SharedState {
  readonly options: GrpcUnaryFastPathOptions;
  readonly inFlight: Set<UnaryCall>;
  accepting: boolean;
  readonly responseCompression: (acceptEncoding: string | null) => Compression | null;
}

/** Clients send few distinct grpc-accept-encoding values: negotiate each once. */
const MAX_NEGOTIATIONS_KEPT = 64;

function createCompressionCache(available: readonly Compression[]): (acceptEncoding: string | null) => Compression | null {
  const negotiated = new Map<string | null, Compression | null>();
  return (acceptEncoding) => {
    let compression = negotiated.get(acceptEncoding);
    if (compression === undefined) {
      compression = compressionNegotiate([...available], null, acceptEncoding, "grpc-accept-encoding").response;
      if (negotiated.size < MAX_NEGOTIATIONS_KEPT) {
        negotiated.set(acceptEncoding, compression);
      }
    }
    return compression;
  };
}

/** The client's address per HTTP/2 session: every stream of a session shares it. */
const peerAddresses = new WeakMap<http2.ServerHttp2Session, string>();

function peerAddressOf(session: http2.ServerHttp2Session | undefined): string {
  if (session === undefined) {
    return "";
  }
  let address = peerAddresses.get(session);
  if (address === undefined) {
    address = session.socket.remoteAddress ?? "";
    peerAddresses.set(session, address);
  }
  return address;
}

class UnaryCall {
  readonly #shared: SharedState;
  readonly #route: UnaryRoute;
  readonly #stream: http2.ServerHttp2Stream;
  readonly #headers: http2.IncomingHttpHeaders;
  readonly #controller = new AbortController();
  #chunks: Buffer[] = [];
  #size = 0;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #finished = false;

  constructor(shared: SharedState, route: UnaryRoute, stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) {
    this.#shared = shared;
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
    if (!this.#shared.accepting) {
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
      const tooLong = checkDeclaredLength(this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks), this.#shared.options.readMaxBytes);
      if (tooLong !== undefined) {
        this.#fail(tooLong);
      }
    }
  }

  async #run(): Promise<void> {
    if (this.#finished) {
      return;
    }
    const { options, inFlight } = this.#shared;
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
    const method = this.#route.spec.method;
    let input;
    try {
      input = fromBinary(method.input, bytes);
    } catch (e) {
      return this.#fail(new ConnectError(`parse binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal));
    }

    if (timeout.timeoutMs !== undefined) {
      this.#deadline = setTimeout(() => this.abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), timeout.timeoutMs);
    }
    const compression = this.#shared.responseCompression(headerValue(this.#headers["grpc-accept-encoding"]));
    const request: FastUnaryRequest = {
      stream: false,
      method,
      service: method.parent,
      message: input,
      requestMethod: "POST",
      url: `http://${headerValue(this.#headers[":authority"]) ?? "localhost"}${this.#headers[":path"]}`,
      signal: this.#controller.signal,
      header: requestHeaderOf(this.#headers),
      contextValues: contextValuesOf(this.#stream),
      deadlineAt: timeout.timeoutMs === undefined ? undefined : Date.now() + timeout.timeoutMs,
    };
    inFlight.add(this);
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
      inFlight.delete(this);
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

function headerValue(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

/** The request's metadata, without HTTP/2 pseudo-headers. */
function requestHeaderOf(headers: http2.IncomingHttpHeaders): Headers {
  const header = new Headers();
  for (const name in headers) {
    const value = headers[name];
    if (name.charCodeAt(0) === 0x3a /* ":" */ || value === undefined) {
      continue;
    }
    if (Array.isArray(value)) {
      for (const item of value) {
        header.append(name, item);
      }
    } else {
      header.append(name, value);
    }
  }
  return header;
}

function contextValuesOf(stream: http2.ServerHttp2Stream): ContextValues {
  return createContextValues()
    .set(peerAddressKey, peerAddressOf(stream.session as http2.ServerHttp2Session | undefined))
    .set(httpVersionKey, "2.0");
}
