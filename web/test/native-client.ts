/**
 * A native Node client of the same server over gRPC (HTTP/2), for what the
 * tests do outside the browser: seeding users and joining the chat room on
 * the bidirectional Chat.
 */
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../../gen/auth/v1/auth_pb.js";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { PASSWORD, uniqueName } from "./fixtures.js";

export interface NativeUser {
  readonly id: string;
  readonly username: string;
  readonly client: Client<typeof UserService>;
}

/** Signs up a new user and returns a client that calls with its token. */
export async function nativeUser(baseUrl: string, prefix: string): Promise<NativeUser> {
  const anonymous = createGrpcTransport({ baseUrl });
  const username = uniqueName(prefix);
  const user = await createClient(UserService, anonymous).createUser({ username, email: `${username}@example.com`, password: PASSWORD });
  const { accessToken } = await createClient(AuthService, anonymous).login({ username, password: PASSWORD });
  const withToken: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${accessToken}`);
    return next(req);
  };
  return { id: user.id, username, client: createClient(UserService, createGrpcTransport({ baseUrl, interceptors: [withToken] })) };
}
