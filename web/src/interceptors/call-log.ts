/**
 * Records every call in the call log: method, transport, status code,
 * duration and, for streams, the number of messages received.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { CallLog } from "../call-log/call-log.js";
import { observeCalls } from "./observe-calls.js";
import { REQUEST_ID_HEADER } from "./request-id.js";

export function createCallLogInterceptor(log: CallLog, transportLabel: string): Interceptor {
  return observeCalls((req) => {
    const call = log.start({
      service: req.service.name,
      method: req.method.name,
      transport: transportLabel,
      requestId: req.header.get(REQUEST_ID_HEADER) ?? "",
      streaming: req.stream,
    });
    return {
      message: () => log.received(call),
      end: (error) => log.finish(call, error?.code),
    };
  });
}
