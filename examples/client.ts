/**
 * A Node client that uses every kind of RPC over the gRPC protocol (HTTP/2):
 * it signs up, logs in, and sends its token on every call with an interceptor.
 * Run it against a running server: `npx tsx examples/client.ts [base-url]`.
 */
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/auth/v1/auth_pb.js";
import { UserService } from "../gen/user/v1/user_pb.js";
import { traceContext } from "./trace-context.js";

const baseUrl = process.argv[2] ?? "http://localhost:8080";
const suffix = Date.now().toString(36);
const password = "correct horse";

// Every call starts a trace of its own (a W3C traceparent), to find it among the server's spans.
// Sign up (no token needed), then log in.
const signUp = createClient(UserService, createGrpcTransport({ baseUrl, interceptors: [traceContext] }));
const ada = await signUp.createUser({ username: `ada_${suffix}`, email: `ada_${suffix}@example.com`, password });
const { accessToken } = await createClient(AuthService, createGrpcTransport({ baseUrl, interceptors: [traceContext] })).login({
  username: ada.username,
  password,
});
const withToken: Interceptor = (next) => (req) => {
  req.header.set("authorization", `Bearer ${accessToken}`);
  return next(req);
};
const client = createClient(UserService, createGrpcTransport({ baseUrl, interceptors: [traceContext, withToken] }));

// Unary: read ourselves back.
const fetched = await client.getUser({ id: ada.id }, { timeoutMs: 5_000 });
console.log("created and fetched", fetched.username);

// Client streaming: import several users in one all-or-nothing transaction.
async function* newUsers() {
  for (const name of ["grace", "edsger", "barbara"]) {
    yield { username: `${name}_${suffix}`, email: `${name}_${suffix}@example.com`, password };
  }
}
const imported = await client.createUsers(newUsers());
console.log("imported", imported.count, "users");

// Server streaming: walk the directory page by page with the next-page-token trailer.
let pageToken = "";
let listed = 0;
do {
  let next = "";
  for await (const user of client.listUsers({ pageSize: 2, pageToken }, { onTrailer: (t) => (next = t.get("next-page-token") ?? "") })) {
    listed += user.id ? 1 : 0;
  }
  pageToken = next;
} while (pageToken !== "");
console.log("listed", listed, "users");

// Bidirectional streaming: say hello in the chat room and read our own message
// back; the server sets its user id from our token.
async function* say() {
  yield { text: "hello, room" };
}
for await (const message of client.chat(say())) {
  console.log("chat:", message.text, "from", message.userId === ada.id ? "me" : message.userId);
}
