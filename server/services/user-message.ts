/** The one place a stored user becomes a `user.v1.User`: the password hash stays behind. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UserSchema } from "../../gen/user/v1/user_pb.js";
import type { StoredUser } from "../storage/store.js";

export function toUserMessage(user: StoredUser, showEmail = true): MessageInitShape<typeof UserSchema> {
  return {
    id: user.id,
    username: user.username,
    // Hidden from other non-admin users: an empty string, as if unset.
    email: showEmail ? user.email : "",
    createdAt: BigInt(user.createdAt),
    roles: user.roles as string[],
  };
}
