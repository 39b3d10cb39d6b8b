/**
 * The one enveloped message of a unary gRPC request: 1 flag byte, a 4-byte
 * big-endian length, then the message. Errors say what connect-es says for
 * the same input, so clients see one behaviour on either path.
 */
import { Code, ConnectError } from "@connectrpc/connect";

const HEADER_BYTES = 5;
const COMPRESSED_FLAG = 0x01;

/**
 * Checks an envelope header as soon as it has arrived: a declared length
 * over the limit is refused before its bytes are read.
 */
export function checkDeclaredLength(head: Uint8Array, readMaxBytes: number): ConnectError | undefined {
  if (head.byteLength < HEADER_BYTES) {
    return undefined;
  }
  const length = new DataView(head.buffer, head.byteOffset, HEADER_BYTES).getUint32(1);
  return length > readMaxBytes
    ? new ConnectError(`message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`, Code.ResourceExhausted)
    : undefined;
}

/** The message bytes of a complete request body, or why there is not exactly one message. */
export function unwrapUnaryEnvelope(body: Uint8Array, readMaxBytes: number): Uint8Array | ConnectError {
  if (body.byteLength === 0) {
    return new ConnectError("protocol error: missing input message for unary method", Code.Unimplemented);
  }
  if (body.byteLength < HEADER_BYTES) {
    return new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  }
  const tooLong = checkDeclaredLength(body, readMaxBytes);
  if (tooLong !== undefined) {
    return tooLong;
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const end = HEADER_BYTES + view.getUint32(1);
  if (end > body.byteLength) {
    return new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
  }
  if (end < body.byteLength) {
    // A second envelope follows: complete or not, a unary call has one message.
    return body.byteLength - end < HEADER_BYTES
      ? new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument)
      : new ConnectError("protocol error: received extra input message for unary method", Code.Unimplemented);
  }
  if ((view.getUint8(0) & COMPRESSED_FLAG) !== 0) {
    // Only requests without grpc-encoding take this path.
    return new ConnectError("received compressed envelope, but do not know how to decompress", Code.Internal);
  }
  return body.subarray(HEADER_BYTES, end);
}

/** Frames a response message. */
export function envelope(message: Uint8Array, compressed: boolean): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + message.byteLength);
  frame[0] = compressed ? COMPRESSED_FLAG : 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, HEADER_BYTES);
  return frame;
}
