/**
 * A @grpc/grpc-js client that spreads its calls over several servers:
 * client-side round_robin over every address of the target, retries of
 * UNAVAILABLE with exponential backoff (service-config.ts), a deadline on
 * every call, and the access token and a W3C traceparent added by
 * interceptors. It signs up, logs in, then reads its own account again and
 * again, printing which server answered each call.
 *
 *   npm run descriptors
 *   npx tsx examples/grpc-js/main.ts --target ipv4:127.0.0.1:8080,127.0.0.1:8081 --calls 20
 *
 * Any gRPC target works, e.g. dns:///users.internal:8080 for every address a
 * name resolves to. The servers must share their storage and JWT_SECRET.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { bearerInterceptor } from "./bearer-interceptor.js";
import { loadContract } from "./contract.js";
import { serviceConfig } from "./service-config.js";
import { traceContextInterceptor } from "./trace-context-interceptor.js";
import { callUnary } from "./unary-call.js";

/** Every call's deadline; retries happen within it. */
const DEADLINE_MS = 2_000;

const { values } = parseArgs({
  options: {
    target: { type: "string", default: "ipv4:127.0.0.1:8080" },
    calls: { type: "string", default: "20" },
    "interval-ms": { type: "string", default: "100" },
    contract: { type: "string", default: "dist/contract.binpb" },
  },
});
const calls = Number(values.calls);
const intervalMs = Number(values["interval-ms"]);
if (!Number.isSafeInteger(calls) || calls < 1 || !Number.isSafeInteger(intervalMs) || intervalMs < 0) {
  throw new Error("--calls must be a whole number from 1, --interval-ms one from 0");
}

const contract = loadContract(values.contract);
let token: string | undefined;
const credentials = grpc.credentials.createInsecure();
const users = new contract.UserService(values.target, credentials, {
  "grpc.service_config": JSON.stringify(serviceConfig),
  interceptors: [traceContextInterceptor, bearerInterceptor(() => token)],
});
// The same channel, so the same connections and load balancer; interceptors are per client.
const auth = new contract.AuthService(values.target, credentials, {
  channelOverride: users.getChannel(),
  interceptors: [traceContextInterceptor],
});

// Sign up (needs no token), then log in: the interceptor sends the token from here on.
const name = `rr_${Date.now().toString(36)}`;
const password = "correct horse";
const signUp = { username: name, email: `${name}@example.com`, password };
const { response: me } = await callUnary(users.createUser.bind(users), signUp, DEADLINE_MS);
token = (await callUnary(auth.login.bind(auth), { username: name, password }, DEADLINE_MS)).response.access_token;

const answeredBy = new Map<string, number>();
let failed = 0;
for (let i = 1; i <= calls; i++) {
  try {
    const { peer, retries } = await callUnary(users.getUser.bind(users), { id: me.id }, DEADLINE_MS);
    answeredBy.set(peer, (answeredBy.get(peer) ?? 0) + 1);
    console.log(`call ${i}: answered by ${peer}${retries > 0 ? ` after ${retries} failed attempt(s)` : ""}`);
  } catch (e) {
    const err = e as grpc.ServiceError;
    failed++;
    console.log(`call ${i}: failed with ${grpc.status[err.code]}: ${err.details}`);
  }
  await sleep(intervalMs);
}
for (const [peer, count] of answeredBy) {
  console.log(`${peer} answered ${count} calls`);
}
users.close();
process.exitCode = failed === 0 ? 0 : 1;
