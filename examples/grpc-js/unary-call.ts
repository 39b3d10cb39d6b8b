/**
 * A grpc-js unary call as a promise, with a deadline, and with what this
 * example reports: the server address that answered (round_robin chooses per
 * call) and how many attempts failed before (retries).
 */
import * as grpc from "@grpc/grpc-js";
import type { UnaryMethod } from "./contract.js";

export interface Answer<Res> {
  readonly response: Res;
  /** host:port of the server that answered. */
  readonly peer: string;
  /** Attempts that failed before this answer. */
  readonly retries: number;
}

/** Rejects with the grpc.ServiceError of the last attempt. `method` must be bound to its client. */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, deadlineMs: number): Promise<Answer<Res>> {
  return new Promise((resolve, reject) => {
    let retries = 0;
    const call = method(request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, response) => {
      if (err !== null) {
        reject(err);
        return;
      }
      resolve({ response: response!, peer: call.getPeer(), retries });
    });
    // grpc-js adds this to the response headers of a call it retried.
    call.on("metadata", (headers: grpc.Metadata) => {
      retries = Number(headers.get("grpc-previous-rpc-attempts")[0] ?? 0);
    });
  });
}
