/**
 * Anchor (c), like for like: @grpc/grpc-js with what our server does per
 * GetUser — the bearer token verified by server/auth/tokens.ts (same key,
 * same cache), the user read through the project's SQLite store, the email
 * shown by the same rule — without Fastify, connect-es or interceptors.
 *
 * Configured like the server (PORT, HOST, DATA_DIR, DATABASE_PATH, JWT_*)
 * plus BENCH_CONTRACT_PATH.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { loadSigningKey } from "../../server/auth/signing-key.js";
import { createTokens, unauthenticated } from "../../server/auth/tokens.js";
import { loadConfig } from "../../server/config.js";
import { canSeeEmail } from "../../server/services/user-access.js";
import { normalizeId } from "../../server/services/user-fields.js";
import { openStore } from "../../server/storage/open-store.js";
import { serveGetUser, toGrpcJsUser } from "./grpc-js-server.js";

const BEARER = /^Bearer +(\S+)$/i;

const config = loadConfig();
const store = openStore(config.storage);
const tokens = createTokens(loadSigningKey(config.jwt, config.dataDir), config.jwt);

await serveGetUser({
  contractPath: process.env.BENCH_CONTRACT_PATH ?? "dist/contract.binpb",
  host: config.host,
  port: config.port,
  async getUser(id, metadata) {
    const token = BEARER.exec(String(metadata.get("authorization")[0] ?? ""))?.[1];
    if (token === undefined) {
      throw unauthenticated("missing access token");
    }
    const caller = await tokens.verify(token);
    const user = await store.get(normalizeId(id));
    if (user === undefined) {
      throw new ConnectError(`no user has id ${id}`, Code.NotFound);
    }
    return toGrpcJsUser(user, canSeeEmail(caller, user.id));
  },
});
