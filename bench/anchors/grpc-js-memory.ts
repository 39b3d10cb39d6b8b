/**
 * Anchor (b): a plain @grpc/grpc-js server answering GetUser from an
 * in-memory Map: no token, no validation, no log. What a Node user would
 * pick instead of this project.
 *
 * Configured like the server (PORT, HOST, DATA_DIR, DATABASE_PATH) plus
 * BENCH_CONTRACT_PATH, the descriptor set from scripts/build-image.sh.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { loadConfig } from "../../server/config.js";
import { normalizeId } from "../../server/services/user-fields.js";
import { serveGetUser, toGrpcJsUser } from "./grpc-js-server.js";
import { loadUsersIntoMap } from "./users-in-memory.js";

const config = loadConfig();
const users = await loadUsersIntoMap(config.storage);

await serveGetUser({
  contractPath: process.env.BENCH_CONTRACT_PATH ?? "dist/contract.binpb",
  host: config.host,
  port: config.port,
  async getUser(id) {
    const user = users.get(normalizeId(id));
    if (user === undefined) {
      throw new ConnectError(`no user has id ${id}`, Code.NotFound);
    }
    // The bench asks for its own account, whose email the owner sees.
    return toGrpcJsUser(user, true);
  },
});
