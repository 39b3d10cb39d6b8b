/**
 * Users go to standard output as JSON, one per line (the Connect JSON form,
 * as curl shows them), so output can be piped to jq or read by scripts.
 */
import { toJsonString } from "@bufbuild/protobuf";
import { UserSchema, type User } from "../../gen/user/v1/user_pb.js";

export function printUser(user: User): void {
  process.stdout.write(`${toJsonString(UserSchema, user)}\n`);
}
