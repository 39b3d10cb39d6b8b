/**
 * The ListUsers page token: an opaque, versioned encoding of the keyset cursor
 * (creation time and id of the last user sent). The same format serves every
 * storage backend, so a token outlives a change of backend.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { UserCursor } from "../storage/store.js";
import { isUuid } from "./user-fields.js";

const VERSION = "v1";

export function encodePageToken(cursor: UserCursor): string {
  return Buffer.from(`${VERSION}:${cursor.createdAt}:${cursor.id}`).toString("base64url");
}

/** Throws INVALID_ARGUMENT for anything encodePageToken did not produce. */
export function decodePageToken(token: string): UserCursor {
  const [version, createdAt, id, ...rest] = Buffer.from(token, "base64url").toString("latin1").split(":");
  const seconds = Number(createdAt);
  if (version !== VERSION || rest.length > 0 || !Number.isSafeInteger(seconds) || id === undefined || !isUuid(id)) {
    throw new ConnectError(
      "page_token is invalid: pass the next-page-token trailer of a previous ListUsers call, or an empty token for the first page",
      Code.InvalidArgument,
    );
  }
  return { createdAt: seconds, id };
}
