/**
 * Unary GetUser calls at a steady pace beside another load, timing each: a
 * server whose event loop is blocked (say, by hashing on it) answers late,
 * by as long as the block. One call at a time on its own connection.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema } from "../../gen/user/v1/user_pb.js";
import { GET_USER_PATH } from "./unary-protocols.js";
import { connectH2, expectOk, openGrpcStream } from "./grpc-stream.js";

const CALL_TIMEOUT_MS = 30_000;

export interface LatencyProbe {
  /** Stops after the call in flight; resolves with every call's latency in ms, sorted. */
  stop(): Promise<Float64Array>;
}

export async function startLatencyProbe(url: string, token: string, userId: string, intervalMs: number): Promise<LatencyProbe> {
  const session = await connectH2(url);
  const request = toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: userId }));
  const latencies: number[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const call = openGrpcStream(session, { path: GET_USER_PATH, token, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
      call.send(request);
      call.end();
      expectOk(await call.done, "GetUser beside the load");
      const elapsed = performance.now() - started;
      latencies.push(elapsed);
      await sleep(Math.max(0, intervalMs - elapsed));
    }
  })();
  return {
    async stop() {
      stopped = true;
      try {
        await loop;
      } finally {
        session.close();
      }
      return Float64Array.from(latencies).sort();
    },
  };
}
