/**
 * gRPC status on the wire, where connect-es leaves it to us.
 *
 * - grpc-message is percent-encoded as the gRPC spec describes: only bytes
 *   outside printable ASCII, and "%", are escaped. connect-es escapes like
 *   encodeURIComponent (":" "," "/" "@" too), which clients that decode only
 *   the spec's escapes (grpc-js) show verbatim, e.g. "entry 2%3A username".
 * - A status with no messages goes out as "trailers-only": one HEADERS frame
 *   that ends the stream (HTTP/2), or plain headers (gRPC-Web on HTTP/1.1).
 */
import http2 from "node:http2";
import type { FastifyReply } from "fastify";

/** gRPC and gRPC-Web request content types; group 1 is "-web" for gRPC-Web. */
export const GRPC_CONTENT_TYPE = /^application\/grpc(-web)?(?:[+;]|$)/i;

export const GRPC_STATUS_UNIMPLEMENTED = 12;

export function encodeGrpcMessage(message: string): string {
  let encoded = "";
  for (const byte of Buffer.from(message, "utf8")) {
    encoded +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/**
 * The HTTP/2 response class of the server: re-encodes the grpc-message
 * trailer that connect-es writes. Only error trailers carry one.
 */
export class GrpcMessageFixingResponse extends http2.Http2ServerResponse {
  override addTrailers(trailers: http2.OutgoingHttpHeaders): void {
    const message = trailers["grpc-message"];
    if (typeof message === "string") {
      trailers["grpc-message"] = encodeGrpcMessage(decodeURIComponent(message));
    }
    super.addTrailers(trailers);
  }
}

export function sendGrpcTrailersOnly(reply: FastifyReply, contentType: string, status: number, message: string): void {
  const headers = {
    "content-type": contentType,
    "grpc-status": String(status),
    "grpc-message": encodeGrpcMessage(message),
  };
  const raw = reply.raw as unknown as http2.Http2ServerResponse;
  if (raw.stream === undefined) {
    void reply.code(200).headers(headers).send();
    return;
  }
  // Fastify would send the headers, then an empty DATA frame that ends the
  // stream; gRPC clients then see no status at all.
  reply.hijack();
  raw.stream.respond({ ":status": 200, ...headers }, { endStream: true });
}
