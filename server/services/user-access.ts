/**
 * Who may do what to a user account:
 * - any signed-in user may read users, but sees the email of only their own
 *   account unless they are an admin;
 * - changing or deleting an account is for its owner or an admin;
 * - changing roles is for admins only.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { isAdmin, type Identity } from "../auth/identity.js";

export function canSeeEmail(caller: Identity | undefined, userId: string): boolean {
  return caller !== undefined && (caller.userId === userId || isAdmin(caller));
}

export function requireOwnerOrAdmin(caller: Identity | undefined, userId: string, action: string): void {
  if (caller === undefined || (caller.userId !== userId && !isAdmin(caller))) {
    throw new ConnectError(`only the account's owner or an admin may ${action} it`, Code.PermissionDenied);
  }
}

export function requireAdmin(caller: Identity | undefined, action: string): void {
  if (!isAdmin(caller)) {
    throw new ConnectError(`only an admin may ${action}`, Code.PermissionDenied);
  }
}
