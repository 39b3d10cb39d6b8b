/**
 * Who is calling. The auth interceptor puts it in the handler context; handlers
 * read it from there, never from module state.
 */
import { createContextKey, type HandlerContext } from "@connectrpc/connect";

export interface Identity {
  readonly userId: string;
  readonly roles: readonly string[];
}

export const ADMIN_ROLE = "admin";
export const USER_ROLE = "user";

/** Undefined for public methods called without a token. */
export const identityKey = createContextKey<Identity | undefined>(undefined, { description: "caller identity" });

export function callerOf(ctx: HandlerContext): Identity | undefined {
  return ctx.values.get(identityKey);
}

export function isAdmin(identity: Identity | undefined): boolean {
  return identity?.roles.includes(ADMIN_ROLE) ?? false;
}
