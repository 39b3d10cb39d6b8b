/**
 * A Node client that uses every kind of RPC over the gRPC protocol (HTTP/2).
 * Run it against a running server: `npx tsx examples/client.ts [base-url]`.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UserService } from "../gen/user/v1/user_pb.js";

const baseUrl = process.argv[2] ?? "http://localhost:8080";
const client = createClient(UserService, createGrpcTransport({ baseUrl }));
const suffix = Date.now().toString(36);

// Unary: create a user, then read it back.
const ada = await client.createUser({ username: `ada_${suffix}`, email: `ada_${suffix}@example.com`, password: "correct horse" });
const fetched = await client.getUser({ id: ada.id }, { timeoutMs: 5_000 });
console.log("created and fetched", fetched.username);

// Client streaming: import several users in one all-or-nothing transaction.
async function* newUsers() {
  for (const name of ["grace", "edsger", "barbara"]) {
    yield { username: `${name}_${suffix}`, email: `${name}_${suffix}@example.com`, password: "correct horse" };
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

// Bidirectional streaming: say hello in the chat room and read our own message back.
async function* say() {
  yield { userId: ada.id, text: "hello, room" };
}
for await (const message of client.chat(say())) {
  console.log("chat:", message.text, "at", new Date(Number(message.timestamp)).toISOString());
}
