/** The one place a stored user becomes a `user.v1.User`: the password hash stays behind. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UserSchema } from "../../gen/user/v1/user_pb.js";
import type { StoredUser } from "../storage/store.js";

export function toUserMessage(user: StoredUser): MessageInitShape<typeof UserSchema> {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    createdAt: BigInt(user.createdAt),
    roles: user.roles as string[],
  };
}
