/**
 * gRPC server reflection for any connect-es server: tools such as buf curl,
 * grpcurl and Postman list the services and read their schemas from the
 * server itself, with no .proto file at hand.
 *
 *   registerReflection(router, createRegistry(UserService, Health));
 *
 * Both grpc.reflection.v1 and its older twin v1alpha are served (clients still
 * ask for either), each describing the registry's services, the reflection
 * services themselves, and every file those import. Descriptors are
 * serialized once, here.
 *
 * ServerReflectionInfo is a bidirectional stream, so it needs HTTP/2 (gRPC,
 * or gRPC-Web and Connect over h2).
 */
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { createReflector, type ReflectionAnswer, type ReflectionRequest } from "./reflector.js";

/** The reflection services, e.g. to list among methods callable without a token. */
export const reflectionServices = [ServerReflectionV1, ServerReflectionV1alpha] as const;

export function registerReflection(router: ConnectRouter, registry: Registry): ConnectRouter {
  const reflector = createReflector(createRegistry(registry, ...reflectionServices));
  async function* serverReflectionInfo<R extends ReflectionRequest & { readonly host: string }>(
    requests: AsyncIterable<R>,
  ): AsyncGenerator<{ validHost: string; originalRequest: R; messageResponse: ReflectionAnswer }> {
    // Files already sent on this stream; each stream starts afresh.
    const sentFiles = new Set<string>();
    for await (const request of requests) {
      yield { validHost: request.host, originalRequest: request, messageResponse: reflector.answer(request, sentFiles) };
    }
  }
  return router
    .service(ServerReflectionV1, { serverReflectionInfo })
    .service(ServerReflectionV1alpha, { serverReflectionInfo });
}
