/**
 * Checks what h2load cannot: that the answers are real successes. h2load
 * counts HTTP 2xx, and gRPC and gRPC-Web send errors in an HTTP 200, so the
 * exact request h2load sends (same headers, same body) is sent here a few
 * times, and every answer must decode to the expected user with grpc-status 0.
 * The answer's body size is returned: h2load's byte count per response is
 * then checked against it, which catches errors during the load itself (an
 * error answer has another size).
 */
import http from "node:http";
import http2 from "node:http2";
import type { UnaryProtocol, WireResponse } from "./unary-protocols.js";

export interface UnaryRequest {
  readonly url: string;
  readonly path: string;
  readonly protocol: UnaryProtocol;
  /** All request headers, authorization included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

const PROBE_TIMEOUT_MS = 10_000;

/** Sends the request `calls` times; throws unless every answer is the user `expectedId`. Resolves with the body size. */
export async function probeUnary(request: UnaryRequest, calls: number, expectedId: string): Promise<number> {
  const send = request.protocol.httpVersion === "2" ? http2Sender(request) : http1Sender(request);
  const sizes = new Set<number>();
  try {
    for (let i = 0; i < calls; i++) {
      const response = await send.call();
      let userId: string;
      try {
        userId = request.protocol.read(response).id;
      } catch (e) {
        throw new Error(`${request.protocol.label} ${request.url}: call ${i + 1} failed: ${(e as Error).message}`);
      }
      if (userId !== expectedId) {
        throw new Error(`${request.protocol.label} ${request.url}: answered user ${userId}, expected ${expectedId}`);
      }
      sizes.add(response.body.length);
    }
  } finally {
    send.close();
  }
  if (sizes.size !== 1) {
    throw new Error(`${request.protocol.label} ${request.url}: answers of several sizes (${[...sizes].join(", ")} bytes)`);
  }
  return [...sizes][0]!;
}

interface Sender {
  call(): Promise<WireResponse>;
  close(): void;
}

function http2Sender(request: UnaryRequest): Sender {
  const session = http2.connect(request.url);
  session.on("error", () => {});
  return {
    call: () =>
      new Promise((resolve, reject) => {
        const stream = session.request({ ":method": "POST", ":path": request.path, ...request.headers });
        stream.setTimeout(PROBE_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
        let headers: Record<string, string> = {};
        let trailers: Record<string, string> = {};
        const chunks: Buffer[] = [];
        stream.on("response", (h) => (headers = stringValues(h)));
        stream.on("trailers", (t) => (trailers = stringValues(t)));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("error", reject);
        stream.on("close", () => {
          const status = Number(headers[":status"] ?? 0);
          if (status === 0) {
            reject(new Error(`${request.url}: the stream closed without an answer`));
          } else {
            resolve({ status, headers, body: Buffer.concat(chunks), trailers });
          }
        });
        stream.end(request.body);
      }),
    close: () => session.close(),
  };
}

function http1Sender(request: UnaryRequest): Sender {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    call: () =>
      new Promise((resolve, reject) => {
        const req = http.request(
          `${request.url}${request.path}`,
          { method: "POST", headers: request.headers, agent, timeout: PROBE_TIMEOUT_MS },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () =>
              resolve({ status: res.statusCode ?? 0, headers: stringValues(res.headers), body: Buffer.concat(chunks), trailers: stringValues(res.trailers) }),
            );
            res.on("error", reject);
          },
        );
        req.on("timeout", () => req.destroy(new Error(`${request.url}: no answer within ${PROBE_TIMEOUT_MS} ms`)));
        req.on("error", reject);
        req.end(request.body);
      }),
    close: () => agent.destroy(),
  };
}

function stringValues(headers: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      values[name] = Array.isArray(value) ? value.join(", ") : String(value);
    }
  }
  return values;
}
