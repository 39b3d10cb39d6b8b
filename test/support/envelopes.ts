/**
 * The 5-byte prefix before each message of a gRPC, gRPC-Web or Connect
 * stream: a flags byte, then the message's length (4 bytes, big-endian).
 */

/** Set on a message whose bytes are compressed with the call's encoding (all three protocols). */
export const COMPRESSED_FLAG = 0b1;
/** Connect's end-of-stream message (JSON with the error and trailers). */
export const CONNECT_END_STREAM_FLAG = 0b10;
/** gRPC-Web's trailers, sent as the last message. */
export const GRPC_WEB_TRAILERS_FLAG = 0b1000_0000;

export interface Envelope {
  readonly flags: number;
  readonly data: Buffer;
}

export function encodeEnvelope(data: Uint8Array, flags = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(flags, 0);
  prefix.writeUInt32BE(data.length, 1);
  return Buffer.concat([prefix, data]);
}

/** Splits a whole body into its messages; throws on a truncated one. */
export function parseEnvelopes(body: Buffer): Envelope[] {
  const envelopes: Envelope[] = [];
  for (let offset = 0; offset < body.length; ) {
    if (body.length - offset < 5) {
      throw new Error(`a truncated envelope prefix at byte ${offset}`);
    }
    const end = offset + 5 + body.readUInt32BE(offset + 1);
    if (end > body.length) {
      throw new Error(`a truncated envelope at byte ${offset}`);
    }
    envelopes.push({ flags: body[offset]!, data: body.subarray(offset + 5, end) });
    offset = end;
  }
  return envelopes;
}
