/**
 * Anchor (e), for Connect JSON over HTTP/1.1: a plain Fastify JSON route at
 * the same path, answering the same JSON from memory. No token, no
 * validation, no log: what the Connect stack adds is the difference.
 *
 * Configured like the server (PORT, HOST, DATA_DIR, DATABASE_PATH).
 */
import Fastify from "fastify";
import { loadConfig } from "../../server/config.js";
import { normalizeId } from "../../server/services/user-fields.js";
import { toUserMessage } from "../../server/services/user-message.js";
import { loadUsersIntoMap } from "./users-in-memory.js";

const config = loadConfig();
const users = await loadUsersIntoMap(config.storage);

const app = Fastify({ logger: false });
app.post<{ Body: { id?: unknown } }>("/user.v1.UserService/GetUser", async (req, reply) => {
  const user = users.get(normalizeId(String(req.body.id ?? "")));
  if (user === undefined) {
    return reply.code(404).send({ code: "not_found", message: "no such user" });
  }
  // The bench asks for its own account, whose email the owner sees. int64 as
  // a string, as in proto3's JSON form.
  return { ...toUserMessage(user, true), createdAt: String(user.createdAt) };
});
await app.listen({ host: config.host, port: config.port });
process.once("SIGTERM", () => void app.close().then(() => process.exit(0)));
