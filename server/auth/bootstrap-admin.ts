/**
 * The initial admin: created at start from ADMIN_USERNAME / ADMIN_PASSWORD, or,
 * when that username exists, given the admin role and that password. The
 * settings must pass the same rules as a sign-up.
 */
import { create } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import { CreateUserRequestSchema } from "../../gen/user/v1/user_pb.js";
import { ConfigError, type AdminConfig } from "../config.js";
import type { PasswordHasher } from "../services/password.js";
import { newUser, normalizeNewUser } from "../services/user-service.js";
import { DuplicateUserError, type UserStore } from "../storage/store.js";
import { ADMIN_ROLE, USER_ROLE } from "./identity.js";

export async function ensureAdmin(store: UserStore, hasher: PasswordHasher, admin: AdminConfig): Promise<"created" | "updated"> {
  const request = create(CreateUserRequestSchema, admin);
  const result = createValidator().validate(CreateUserRequestSchema, request);
  if (result.kind !== "valid") {
    const problems = result.kind === "invalid" ? result.violations.map((v) => v.toString()).join("; ") : String(result.error);
    throw new ConfigError(`ADMIN_USERNAME, ADMIN_EMAIL or ADMIN_PASSWORD break the sign-up rules: ${problems}`);
  }
  const fields = normalizeNewUser(request);
  const existing = await store.findByUsername(fields.username);
  if (existing !== undefined) {
    const roles = existing.roles.includes(ADMIN_ROLE) ? existing.roles : [...existing.roles, ADMIN_ROLE];
    await store.update(existing.id, { passwordHash: await hasher.hash(fields.password), roles });
    return "updated";
  }
  try {
    await store.create(await newUser(hasher, fields, [USER_ROLE, ADMIN_ROLE]));
  } catch (e) {
    if (e instanceof DuplicateUserError) {
      throw new ConfigError(`ADMIN_EMAIL ${fields.email} belongs to another user: set ADMIN_EMAIL to a free address`);
    }
    throw e;
  }
  return "created";
}
