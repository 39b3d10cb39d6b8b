/**
 * Answers requests for paths that are not RPCs, in the caller's protocol.
 *
 * gRPC and gRPC-Web clients read the outcome from grpc-status, not from the
 * HTTP status, so an unknown method gets HTTP 200 with UNIMPLEMENTED as a
 * trailers-only response. Connect clients get 404 with a Connect error body
 * (code unimplemented); anything else a plain 404.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { GRPC_CONTENT_TYPE, GRPC_STATUS_UNIMPLEMENTED, sendGrpcTrailersOnly } from "./grpc-status.js";

const CONNECT_CONTENT_TYPE = /^application\/(?:connect\+)?(?:json|proto)(?:;|$)/i;

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split("?", 1)[0];
  const contentType = request.headers["content-type"] ?? "";
  const grpc = GRPC_CONTENT_TYPE.exec(contentType);
  if (grpc !== null) {
    sendGrpcTrailersOnly(
      reply,
      grpc[1] ? "application/grpc-web+proto" : "application/grpc+proto",
      GRPC_STATUS_UNIMPLEMENTED,
      `unknown method ${path}`,
    );
    return;
  }
  const connect = CONNECT_CONTENT_TYPE.test(contentType) || request.headers["connect-protocol-version"] !== undefined;
  void reply.code(404).send({
    code: connect ? "unimplemented" : "not_found",
    message: `no ${connect ? "method" : "route"} at ${request.method} ${path}`,
  });
}
