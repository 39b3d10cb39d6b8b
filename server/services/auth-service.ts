/**
 * AuthService: exchanges a username and password for an access token.
 *
 * An unknown username and a wrong password get the same answer, and take
 * about the same time: an unknown user's password is still checked, against
 * a hash made at start with the current cost.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { randomBytes } from "node:crypto";
import { AuthService } from "../../gen/auth/v1/auth_pb.js";
import type { Tokens } from "../auth/tokens.js";
import type { UserStore } from "../storage/store.js";
import type { PasswordHasher } from "./password.js";

export interface AuthServiceDeps {
  readonly store: UserStore;
  readonly hasher: PasswordHasher;
  readonly tokens: Tokens;
}

export async function createAuthService({ store, hasher, tokens }: AuthServiceDeps): Promise<ServiceImpl<typeof AuthService>> {
  const decoyHash = await hasher.hash(randomBytes(16).toString("base64"));
  return {
    async login(req) {
      const user = await store.findByUsername(req.username.trim());
      const matches = await hasher.verify(req.password, user?.passwordHash ?? decoyHash);
      if (user === undefined || !matches) {
        throw new ConnectError("invalid username or password", Code.Unauthenticated);
      }
      const { accessToken, expiresAt } = await tokens.issue({ userId: user.id, roles: user.roles });
      return { accessToken, expiresAt: BigInt(expiresAt) };
    },
  };
}
