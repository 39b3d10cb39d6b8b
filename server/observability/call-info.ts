/**
 * What logs, metrics and traces say about a call, derived in one place:
 * the RPC's names and kind (computed once per method, then cached on first
 * use) and the wire protocol (from the request's content type).
 */
import type { DescMethod } from "@bufbuild/protobuf";

export type RpcProtocol = "grpc" | "grpc-web" | "connect";

export interface MethodInfo {
  /** "user.v1.UserService" */
  readonly service: string;
  /** "GetUser" */
  readonly method: string;
  /** "user.v1.UserService/GetUser" */
  readonly rpc: string;
  /** "unary", "server_streaming", "client_streaming" or "bidi_streaming" */
  readonly kind: DescMethod["methodKind"];
}

const methodInfos = new WeakMap<DescMethod, MethodInfo>();

export function methodInfoOf(method: DescMethod): MethodInfo {
  let info = methodInfos.get(method);
  if (info === undefined) {
    const service = method.parent.typeName;
    info = { service, method: method.name, rpc: `${service}/${method.name}`, kind: method.methodKind };
    methodInfos.set(method, info);
  }
  return info;
}

export function streamsRequests(kind: MethodInfo["kind"]): boolean {
  return kind === "client_streaming" || kind === "bidi_streaming";
}

export function streamsResponses(kind: MethodInfo["kind"]): boolean {
  return kind === "server_streaming" || kind === "bidi_streaming";
}

/**
 * gRPC sends application/grpc[+proto|+json], gRPC-Web application/grpc-web[-text][+…];
 * everything else that reached a handler is Connect (JSON or proto, unary,
 * streaming or GET, which has no content type).
 */
export function protocolOf(contentType: string | null): RpcProtocol {
  if (contentType === null || !contentType.startsWith("application/grpc")) {
    return "connect";
  }
  return contentType.startsWith("application/grpc-web") ? "grpc-web" : "grpc";
}
