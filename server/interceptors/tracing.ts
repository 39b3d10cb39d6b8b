/**
 * One OpenTelemetry SERVER span per RPC, after the RPC semantic conventions
 * as of v1.37 (the ones tools and other gRPC/Connect instrumentations emit;
 * the newer "stable" set renames most of these attributes):
 *
 * - named `package.Service/Method`, with `rpc.system` (`grpc` for gRPC and
 *   gRPC-Web, `connect_rpc` for Connect), `rpc.service`, `rpc.method`,
 *   `server.address`/`server.port` (as the client addressed the server) and
 *   `network.protocol.name`/`version` (`http`, `1.1` or `2`);
 * - the outcome: `rpc.grpc.status_code` on every gRPC call, or
 *   `rpc.connect_rpc.error_code` on a failed Connect call, and an error
 *   status (with the ConnectError's message, never request content) where
 *   the conventions count the code as the server's failure;
 * - `rpc.message` events for the messages of a stream, the first
 *   MAX_MESSAGE_EVENTS each way, and the totals as `stream.messages_sent`
 *   and `stream.messages_received`;
 * - the parent from the caller's W3C `traceparent`/`tracestate` headers.
 *
 * A streaming call's span ends with its stream. Calls made while the span is
 * current (storage, see storage/traced-store.ts) become its children.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type TextMapGetter,
  type Tracer,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from "@opentelemetry/semantic-conventions";
import { methodInfoOf, protocolOf, streamsRequests, streamsResponses, type MethodInfo } from "../observability/call-info.js";
import { bindStreamToContext } from "../observability/context-bound-stream.js";
import { observeCall, type CallObserver } from "../observability/observe-call.js";
import { httpVersionKey } from "../transport/peer.js";

// The v1.37 names, spelled out: @opentelemetry/semantic-conventions marks
// them deprecated, and its `rpc.method` constant now means the full name.
const ATTR_RPC_SYSTEM = "rpc.system";
const ATTR_RPC_SERVICE = "rpc.service";
const ATTR_RPC_METHOD = "rpc.method";
const ATTR_RPC_GRPC_STATUS_CODE = "rpc.grpc.status_code";
const ATTR_RPC_CONNECT_RPC_ERROR_CODE = "rpc.connect_rpc.error_code";
const ATTR_RPC_MESSAGE_TYPE = "rpc.message.type";
const ATTR_RPC_MESSAGE_ID = "rpc.message.id";
const RPC_MESSAGE_EVENT = "rpc.message";
// Ours: the conventions have no totals, and a long stream gets events for its first messages only.
const ATTR_MESSAGES_SENT = "stream.messages_sent";
const ATTR_MESSAGES_RECEIVED = "stream.messages_received";

/** Message events recorded per direction; a stream of thousands of messages would otherwise be mostly events. */
export const MAX_MESSAGE_EVENTS = 16;

type RpcSystem = "grpc" | "connect_rpc";

/**
 * gRPC server spans are errors only for these codes: the others (NOT_FOUND,
 * PERMISSION_DENIED, ...) are the client's mistakes, answered correctly.
 * Connect counts every code as an error.
 */
const GRPC_SERVER_ERRORS: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

const propagator = new W3CTraceContextPropagator();
const requestHeaders: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};

export function createTracingInterceptor(tracer: Tracer): Interceptor {
  return (next) => async (req) => {
    // From the root: a call's trace comes from its caller, never from
    // whatever happened to be current when the request arrived.
    const parent = propagator.extract(ROOT_CONTEXT, req.header, requestHeaders);
    const info = methodInfoOf(req.method);
    const system: RpcSystem = protocolOf(req.header.get("content-type")) === "connect" ? "connect_rpc" : "grpc";
    const span = tracer.startSpan(info.rpc, { kind: SpanKind.SERVER, attributes: spanAttributes(req, info, system) }, parent);
    const active = trace.setSpan(parent, span);
    // The handler runs inside the span's context; so does each step of a
    // response stream, which Connect pulls after this function returned.
    const res = await context.with(active, observeCall, undefined, req, next, new RpcSpan(span, system, info.kind));
    return res.stream ? { ...res, message: bindStreamToContext(active, res.message) } : res;
  };
}

type Request = Parameters<Parameters<Interceptor>[0]>[0];

/** What is known as the call starts (samplers may decide on it). */
function spanAttributes(req: Request, info: MethodInfo, system: RpcSystem): Attributes {
  const attributes: Attributes = {
    [ATTR_RPC_SYSTEM]: system,
    [ATTR_RPC_SERVICE]: info.service,
    [ATTR_RPC_METHOD]: info.method,
    [ATTR_NETWORK_PROTOCOL_NAME]: "http",
  };
  const httpVersion = req.contextValues.get(httpVersionKey);
  if (httpVersion !== "") {
    // Node says "2.0"; the conventions say "2".
    attributes[ATTR_NETWORK_PROTOCOL_VERSION] = httpVersion === "2.0" ? "2" : httpVersion;
  }
  // Connect builds the URL from the Host header or :authority, as the client addressed us.
  if (URL.canParse(req.url)) {
    const url = new URL(req.url);
    attributes[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, "$1");
    attributes[ATTR_SERVER_PORT] = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  }
  return attributes;
}

/** One call's span, filled in as the call goes and ended with it. */
class RpcSpan implements CallObserver {
  readonly #span: Span;
  readonly #system: RpcSystem;
  readonly #kind: MethodInfo["kind"];
  #received = 0;
  #sent = 0;

  constructor(span: Span, system: RpcSystem, kind: MethodInfo["kind"]) {
    this.#span = span;
    this.#system = system;
    this.#kind = kind;
  }

  received(): void {
    if (++this.#received <= MAX_MESSAGE_EVENTS) {
      this.#span.addEvent(RPC_MESSAGE_EVENT, { [ATTR_RPC_MESSAGE_TYPE]: "RECEIVED", [ATTR_RPC_MESSAGE_ID]: this.#received });
    }
  }

  sent(): void {
    if (++this.#sent <= MAX_MESSAGE_EVENTS) {
      this.#span.addEvent(RPC_MESSAGE_EVENT, { [ATTR_RPC_MESSAGE_TYPE]: "SENT", [ATTR_RPC_MESSAGE_ID]: this.#sent });
    }
  }

  end(error: ConnectError | undefined): void {
    const span = this.#span;
    // Counted for streams only: a unary side is one message.
    if (streamsRequests(this.#kind)) {
      span.setAttribute(ATTR_MESSAGES_RECEIVED, this.#received);
    }
    if (streamsResponses(this.#kind)) {
      span.setAttribute(ATTR_MESSAGES_SENT, this.#sent);
    }
    if (this.#system === "grpc") {
      span.setAttribute(ATTR_RPC_GRPC_STATUS_CODE, error?.code ?? 0);
      if (error !== undefined && GRPC_SERVER_ERRORS.has(error.code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.rawMessage });
      }
    } else if (error !== undefined) {
      span.setAttribute(ATTR_RPC_CONNECT_RPC_ERROR_CODE, connectErrorCode(error.code));
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.rawMessage });
    }
    span.end();
  }
}

/** Connect's name for the code, but the conventions spell CANCELED "cancelled". */
function connectErrorCode(code: Code): string {
  return code === Code.Canceled ? "cancelled" : codeToString(code);
}
