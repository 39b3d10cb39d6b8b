/**
 * gRPC's length-prefixed messages, as gRPC and gRPC-Web carry them: a flags
 * byte (0x80 marks gRPC-Web's trailer frame), a 4-byte big-endian length,
 * then the bytes. Built and read by hand here, so the bench's clients and the
 * raw HTTP/2 floor pay no library's price for it.
 */

export const TRAILER_FLAG = 0x80;
const HEADER_BYTES = 5;

export function frame(message: Uint8Array, flags = 0): Buffer {
  const framed = Buffer.allocUnsafe(HEADER_BYTES + message.length);
  framed[0] = flags;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, HEADER_BYTES);
  return framed;
}

export interface Frame {
  readonly flags: number;
  readonly data: Buffer;
}

/**
 * Splits a byte stream into frames, whatever the chunk boundaries. `count`
 * only: the bytes are kept only when `keep` asks for them, so counting a
 * million-message stream copies nothing.
 */
export class FrameReader {
  #pending: Buffer = Buffer.alloc(0);
  #count = 0;

  constructor(private readonly keep: (index: number) => boolean = () => true) {}

  get count(): number {
    return this.#count;
  }

  /** Bytes of an unfinished frame at the end of the stream. */
  get leftover(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer): Frame[] {
    const bytes = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    let offset = 0;
    while (bytes.length - offset >= HEADER_BYTES) {
      const length = bytes.readUInt32BE(offset + 1);
      const end = offset + HEADER_BYTES + length;
      if (end > bytes.length) {
        break;
      }
      if (this.keep(this.#count)) {
        frames.push({ flags: bytes[offset]!, data: bytes.subarray(offset + HEADER_BYTES, end) });
      }
      this.#count++;
      offset = end;
    }
    // Copied, so a large chunk is not kept alive by a few bytes of it.
    this.#pending = offset === bytes.length ? Buffer.alloc(0) : Buffer.from(bytes.subarray(offset));
    return frames;
  }
}

/** The "name: value" lines of a gRPC-Web trailer frame, with lower-cased names. */
export function parseTrailerFrame(data: Buffer): Map<string, string> {
  const trailers = new Map<string, string>();
  for (const line of data.toString("latin1").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return trailers;
}
