/**
 * What every command shares: the server's address, the access token and the
 * deadline, from flags or the environment, and clients that use them over
 * the gRPC protocol (HTTP/2).
 */
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/auth/v1/auth_pb.js";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { traceContext } from "../trace-context.js";
import { parseDuration } from "./duration.js";
import { UsageError } from "./usage-error.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The flags every command accepts; spread them into its parseArgs options. */
export const SESSION_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  timeout: { type: "string" },
} as const;

export const DEFAULT_URL = "http://localhost:8080";
/** The deadline of a unary call unless --timeout says otherwise. */
export const UNARY_TIMEOUT_MS = 10_000;

export interface SessionFlags {
  readonly url?: string;
  readonly token?: string;
  readonly timeout?: string;
}

export interface SessionDefaults {
  /** The deadline of each call when --timeout is not given. */
  readonly timeoutMs: number;
  /** False for sign-up and login, the calls that need no token. */
  readonly needsToken: boolean;
}

export interface Session {
  readonly users: Client<typeof UserService>;
  readonly auth: Client<typeof AuthService>;
  /** The deadline of each call: pass it as { timeoutMs }. */
  readonly timeoutMs: number;
}

export function openSession(flags: SessionFlags, env: Env, defaults: SessionDefaults): Session {
  const baseUrl = flags.url ?? env.USER_SERVICE_URL ?? DEFAULT_URL;
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new UsageError(`--url must be the server's http:// or https:// address, such as ${DEFAULT_URL}, got "${baseUrl}"`);
  }
  const token = flags.token ?? env.USER_SERVICE_TOKEN ?? "";
  // Fail before dialling: the server would only say the same, less helpfully.
  if (defaults.needsToken && token === "") {
    throw new ConnectError(
      "no access token: pass --token or set USER_SERVICE_TOKEN to what `npm run --silent client -- login` prints",
      Code.Unauthenticated,
    );
  }
  const interceptors = token === "" ? [traceContext] : [traceContext, bearer(token)];
  // One transport, so both clients share one HTTP/2 connection.
  const transport = createGrpcTransport({ baseUrl, interceptors });
  return {
    users: createClient(UserService, transport),
    auth: createClient(AuthService, transport),
    timeoutMs: flags.timeout === undefined ? defaults.timeoutMs : parseDuration(flags.timeout, "--timeout"),
  };
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
