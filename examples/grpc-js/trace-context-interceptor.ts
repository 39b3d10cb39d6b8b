/**
 * A client interceptor that sends a W3C `traceparent` metadata entry with
 * every call, starting a new trace each time (see ../trace-context.ts).
 * Retries reuse the metadata of the first attempt: they share its trace.
 */
import * as grpc from "@grpc/grpc-js";
import { newTraceparent } from "../trace-context.js";

export const traceContextInterceptor: grpc.Interceptor = (options, nextCall) =>
  new grpc.InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set("traceparent", newTraceparent());
      next(metadata, listener);
    },
  });
