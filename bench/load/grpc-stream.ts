/**
 * A lean gRPC client on Node's HTTP/2 stream API, for the streaming
 * scenarios: it frames what it sends, and splits what it receives into
 * messages, decoding only what the caller asks for. Counting a million
 * ListUsers messages then costs the load generator little, so the server's
 * rate is what is measured.
 */
import http2 from "node:http2";
import { frame, FrameReader } from "./grpc-frame.js";

/** Flow-control windows as a tuned client sets them: 64 KiB would make the server wait on every window update. */
const WINDOW_BYTES = 16 * 1024 * 1024;

export function connectH2(url: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url, { settings: { initialWindowSize: WINDOW_BYTES } });
    session.once("error", reject);
    session.once("connect", () => {
      session.setLocalWindowSize(WINDOW_BYTES);
      session.off("error", reject);
      session.on("error", () => {});
      resolve(session);
    });
  });
}

export interface GrpcCallEnd {
  readonly grpcStatus: string;
  readonly grpcMessage: string;
  /** Messages received. */
  readonly messages: number;
}

export interface GrpcStream {
  send(message: Uint8Array): void;
  /** Ends the request stream. */
  end(): void;
  /** Resolves when the answer ends (whatever its grpc-status); rejects on a reset or the signal. */
  readonly done: Promise<GrpcCallEnd>;
}

export interface GrpcStreamOptions {
  readonly path: string;
  readonly token: string;
  /** Receives the messages `keep` selects (all by default). */
  readonly onMessage?: (data: Buffer, index: number) => void;
  readonly keep?: (index: number) => boolean;
  /** Cancels the call. */
  readonly signal?: AbortSignal;
}

export function openGrpcStream(session: http2.ClientHttp2Session, options: GrpcStreamOptions): GrpcStream {
  const stream = session.request({
    ":method": "POST",
    ":path": options.path,
    "content-type": "application/grpc",
    te: "trailers",
    authorization: `Bearer ${options.token}`,
  });
  const reader = new FrameReader(options.keep ?? (() => true));
  const onAbort = () => stream.close(http2.constants.NGHTTP2_CANCEL);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const done = new Promise<GrpcCallEnd>((resolve, reject) => {
    let status: Record<string, unknown> = {};
    stream.on("response", (headers) => (status = headers));
    stream.on("trailers", (trailers) => (status = { ...status, ...trailers }));
    stream.on("data", (chunk: Buffer) => {
      for (const message of reader.push(chunk)) {
        options.onMessage?.(message.data, reader.count - 1);
      }
    });
    stream.on("error", reject);
    stream.on("close", () => {
      options.signal?.removeEventListener("abort", onAbort);
      if (options.signal?.aborted) {
        reject(new Error(`${options.path} cancelled: ${String(options.signal.reason)}`));
      } else if (status["grpc-status"] === undefined) {
        reject(new Error(`${options.path}: the stream closed without grpc-status (HTTP ${String(status[":status"])})`));
      } else {
        resolve({
          grpcStatus: String(status["grpc-status"]),
          grpcMessage: decodeURIComponent(String(status["grpc-message"] ?? "")),
          messages: reader.count,
        });
      }
    });
  });
  return { send: (message) => void stream.write(frame(message)), end: () => stream.end(), done };
}

/** Throws unless the call ended with grpc-status 0. */
export function expectOk(end: GrpcCallEnd, what: string): GrpcCallEnd {
  if (end.grpcStatus !== "0") {
    throw new Error(`${what} ended with grpc-status ${end.grpcStatus}: ${end.grpcMessage}`);
  }
  return end;
}
