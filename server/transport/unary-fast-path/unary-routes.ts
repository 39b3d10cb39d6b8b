/**
 * What both fast paths (gRPC over HTTP/2, Connect unary) share: each unary
 * method with the general path's interceptors applied once at start, the
 * calls in flight (aborted together at the end of a graceful shutdown), and
 * small per-call helpers that avoid work the general path repeats per call.
 */
import type http2 from "node:http2";
import type net from "node:net";
import { create, type DescService } from "@bufbuild/protobuf";
import {
  createContextValues,
  createServiceImplSpec,
  type ContextValues,
  type HandlerContext,
  type Interceptor,
  type MethodImplSpec,
  type ServiceImpl,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { compressionNegotiate, type Compression } from "@connectrpc/connect/protocol";
import { httpVersionKey, peerAddressKey } from "../peer.js";

/** A service and its implementation, as given to the router of the general path. */
export interface ServedService {
  readonly service: DescService;
  readonly implementation: object;
}

type UnarySpec = Extract<MethodImplSpec, { kind: "unary" }>;

/** A unary method with its interceptors applied: built once at start, not per call as connect-es does. */
export interface UnaryRoute {
  readonly method: UnarySpec["method"];
  readonly call: (req: FastUnaryRequest) => Promise<UnaryResponse>;
}

/** A request as interceptors see it, plus what the handler context reports beyond it. */
export type FastUnaryRequest = UnaryRequest & {
  readonly protocolName: "grpc" | "connect";
  readonly deadlineAt: number | undefined;
};

/** Routes by request path ("/user.v1.UserService/GetUser") to the unary methods of the services. */
export function createUnaryRoutes(services: readonly ServedService[], interceptors: readonly Interceptor[]): Map<string, UnaryRoute> {
  const routes = new Map<string, UnaryRoute>();
  for (const { service, implementation } of services) {
    // The router's own wrapping of an implementation (methods bound, missing ones UNIMPLEMENTED).
    const specs = createServiceImplSpec(service, implementation as Partial<ServiceImpl<DescService>>);
    for (const spec of Object.values(specs.methods)) {
      if (spec.kind === "unary") {
        routes.set(`/${service.typeName}/${spec.method.name}`, createUnaryRoute(spec, interceptors));
      }
    }
  }
  return routes;
}

function createUnaryRoute(spec: UnarySpec, interceptors: readonly Interceptor[]): UnaryRoute {
  const method = spec.method;
  const handle = async (req: UnaryRequest): Promise<UnaryResponse> => {
    const { deadlineAt, protocolName } = req as FastUnaryRequest;
    const context: HandlerContext = {
      method,
      service: method.parent,
      protocolName,
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
  return { method, call: call as UnaryRoute["call"] };
}

/** Something a shutdown can abort. */
export interface AbortableCall {
  abort(reason: unknown): void;
}

/** The calls running on the fast paths, and whether new ones are taken. */
export class CallRegistry {
  readonly inFlight = new Set<AbortableCall>();
  accepting = true;

  constructor(shutdownSignal: AbortSignal) {
    shutdownSignal.addEventListener(
      "abort",
      () => {
        for (const call of this.inFlight) {
          call.abort(shutdownSignal.reason);
        }
      },
      { once: true },
    );
  }
}

/** Clients send few distinct accept-encoding values: each is negotiated once. */
const MAX_NEGOTIATIONS_KEPT = 64;

export function createCompressionCache(
  available: readonly Compression[],
  acceptHeaderName: string,
): (acceptEncoding: string | null) => Compression | null {
  const negotiated = new Map<string | null, Compression | null>();
  return (acceptEncoding) => {
    let compression = negotiated.get(acceptEncoding);
    if (compression === undefined) {
      compression = compressionNegotiate([...available], null, acceptEncoding, acceptHeaderName).response;
      if (negotiated.size < MAX_NEGOTIATIONS_KEPT) {
        negotiated.set(acceptEncoding, compression);
      }
    }
    return compression;
  };
}

export function headerValue(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
}

/** The request's metadata, without HTTP/2 pseudo-headers. */
export function requestHeaderOf(headers: http2.IncomingHttpHeaders): Headers {
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

/** The client's address per connection: every call on a connection shares it. */
const peerAddresses = new WeakMap<net.Socket, string>();

export function contextValuesOf(socket: net.Socket | undefined, httpVersion: string): ContextValues {
  let address = "";
  if (socket !== undefined) {
    address = peerAddresses.get(socket) ?? socket.remoteAddress ?? "";
    peerAddresses.set(socket, address);
  }
  return createContextValues().set(peerAddressKey, address).set(httpVersionKey, httpVersion);
}
