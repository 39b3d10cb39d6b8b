/**
 * Writing a unary gRPC answer on an HTTP/2 stream: HEADERS, one DATA frame
 * and trailers on success; one HEADERS frame that ends the stream
 * ("trailers-only") on error, carrying the status, the error's metadata and
 * details (grpc-status-details-bin) as connect-es would.
 */
import type http2 from "node:http2";
import type { ConnectError } from "@connectrpc/connect";
import { setTrailerStatus } from "@connectrpc/connect/protocol-grpc";
import { RPC_CACHE_CONTROL } from "../cache-control.js";
import { encodeGrpcMessage } from "../grpc-status.js";

/** What the general path answers to application/grpc and application/grpc+proto alike. */
const CONTENT_TYPE = "application/grpc+proto";

export function respondWithMessage(
  stream: http2.ServerHttp2Stream,
  header: Headers,
  trailer: Headers,
  frame: Buffer,
): void {
  if (stream.destroyed) {
    return;
  }
  const headers = toHttp2Headers(header);
  headers[":status"] = 200;
  headers["content-type"] = CONTENT_TYPE;
  headers["cache-control"] = RPC_CACHE_CONTROL;
  const trailers = toHttp2Headers(trailer);
  trailers["grpc-status"] = "0";
  stream.respond(headers, { waitForTrailers: true });
  stream.once("wantTrailers", () => stream.sendTrailers(trailers));
  stream.end(frame);
}

export function respondWithError(stream: http2.ServerHttp2Stream, header: Headers | undefined, error: ConnectError): void {
  if (stream.destroyed || stream.headersSent) {
    return;
  }
  const status = setTrailerStatus(new Headers(header), error);
  const headers = toHttp2Headers(status);
  headers[":status"] = 200;
  headers["content-type"] = CONTENT_TYPE;
  headers["cache-control"] = RPC_CACHE_CONTROL;
  // setTrailerStatus escapes like encodeURIComponent; gRPC clients expect the spec's escapes.
  headers["grpc-message"] = encodeGrpcMessage(error.rawMessage);
  stream.respond(headers, { endStream: true });
}

function toHttp2Headers(headers: Headers): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  headers.forEach((value, key) => {
    out[key] = value;
  });
  return out;
}
