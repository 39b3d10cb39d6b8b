/**
 * The clients the screens call, on one transport with the app's
 * interceptors. Outermost first: the request id is set before the call log
 * records it, and the token is added last. Every call also starts a trace
 * (a W3C traceparent) for the server's spans.
 */
import { createClient, type Client } from "@connectrpc/connect";
import { AuthService } from "../../gen/auth/v1/auth_pb.js";
import { UserService } from "../../gen/user/v1/user_pb.js";
import type { CallLog } from "./call-log/call-log.js";
import { createBearerTokenInterceptor } from "./interceptors/bearer-token.js";
import { createCallLogInterceptor } from "./interceptors/call-log.js";
import { createRequestIdInterceptor } from "./interceptors/request-id.js";
import { createTraceContextInterceptor } from "./interceptors/trace-context.js";
import type { Session } from "./session.js";
import type { TransportChoice } from "./transports.js";

export interface Api {
  readonly transport: TransportChoice;
  readonly users: Client<typeof UserService>;
  readonly auth: Client<typeof AuthService>;
}

export interface ApiOptions {
  readonly transport: TransportChoice;
  readonly callLog: CallLog;
  readonly session: Session;
  readonly onSessionEnded: () => void;
}

export function createApi({ transport, callLog, session, onSessionEnded }: ApiOptions): Api {
  const connection = transport.create([
    createRequestIdInterceptor(),
    createTraceContextInterceptor(),
    createCallLogInterceptor(callLog, transport.label),
    createBearerTokenInterceptor(session, onSessionEnded),
  ]);
  return {
    transport,
    users: createClient(UserService, connection),
    auth: createClient(AuthService, connection),
  };
}
