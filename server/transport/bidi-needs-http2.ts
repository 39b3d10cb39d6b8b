/**
 * Bidirectional streams need HTTP/2: over HTTP/1.1 a client cannot read the
 * response while it is still sending the request. connect-es answers such a
 * call with a bare HTTP 505, which clients report as "unknown". This guard
 * answers it instead in the caller's own protocol with UNIMPLEMENTED and a
 * message that says what to do.
 *
 * It is attached only to bidi routes (Fastify's onRoute), so other calls pay nothing.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from "fastify";
import { GRPC_CONTENT_TYPE, GRPC_STATUS_UNIMPLEMENTED, sendGrpcTrailersOnly } from "./grpc-status.js";

const CONNECT_STREAM_CONTENT_TYPE = /^application\/connect\+/i;
/** Connect's end-of-stream envelope flag. */
const END_STREAM_FLAG = 0b10;

/** An onRoute hook that guards the bidi methods of `services`. */
export function guardBidiRoutes(services: readonly DescService[]) {
  const bidiPaths = new Set(
    services.flatMap((service) =>
      service.methods.filter((m) => m.methodKind === "bidi_streaming").map((m) => `/${service.typeName}/${m.name}`),
    ),
  );
  return (route: RouteOptions): void => {
    if (bidiPaths.has(route.url)) {
      route.onRequest = [refuseOverHttp1, ...toArray(route.onRequest)];
    }
  };
}

function refuseOverHttp1(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (request.raw.httpVersionMajor !== 1) {
    done();
    return;
  }
  const contentType = request.headers["content-type"] ?? "";
  const message = `${request.url.split("?", 1)[0]} is a bidirectional stream, which needs HTTP/2; this request came over HTTP/1.1`;
  if (GRPC_CONTENT_TYPE.test(contentType)) {
    sendGrpcTrailersOnly(reply, contentType, GRPC_STATUS_UNIMPLEMENTED, message);
  } else if (CONNECT_STREAM_CONTENT_TYPE.test(contentType)) {
    // Connect streams report errors in the end-of-stream message, with HTTP 200.
    const endStream = Buffer.from(JSON.stringify({ error: { code: "unimplemented", message } }));
    const envelope = Buffer.alloc(5 + endStream.length);
    envelope.writeUInt8(END_STREAM_FLAG, 0);
    envelope.writeUInt32BE(endStream.length, 1);
    endStream.copy(envelope, 5);
    void reply.code(200).header("content-type", contentType).send(envelope);
  } else {
    // Not a streaming content type: connect-es answers it (415).
    done();
  }
}

function toArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
