/**
 * The contract as @grpc/grpc-js sees it: loaded at run time from the
 * compiled descriptor set that `npm run descriptors` writes
 * (dist/contract.binpb). The .proto files cannot be loaded directly: they
 * import buf/validate/validate.proto, which is not on disk.
 *
 * Loaded from a descriptor set, fields keep their .proto names (snake_case);
 * a camelCase key in a request is dropped without a word, so the types below
 * spell fields as the wire schema does. Only the methods this example calls
 * are typed.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

export interface User {
  id: string;
  username: string;
  email: string;
  /** int64 as a decimal string (longs: String). */
  created_at: string;
  roles: string[];
}

type Callback<Res> = (err: grpc.ServiceError | null, response?: Res) => void;

export interface UnaryMethod<Req, Res> {
  (request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: Callback<Res>): grpc.ClientUnaryCall;
}

export interface UserServiceClient extends grpc.Client {
  createUser: UnaryMethod<{ username: string; email: string; password: string }, User>;
  getUser: UnaryMethod<{ id: string }, User>;
}

export interface AuthServiceClient extends grpc.Client {
  login: UnaryMethod<{ username: string; password: string }, { access_token: string; expires_at: string }>;
}

type ClientConstructor<C> = new (target: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => C;

export interface Contract {
  readonly UserService: ClientConstructor<UserServiceClient>;
  readonly AuthService: ClientConstructor<AuthServiceClient>;
}

export function loadContract(descriptorSetPath: string): Contract {
  let descriptorSet: Buffer;
  try {
    descriptorSet = readFileSync(descriptorSetPath);
  } catch (e) {
    throw new Error(`cannot read the contract ${descriptorSetPath} (run \`npm run descriptors\` first)`, { cause: e });
  }
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(descriptorSet, {
    longs: String,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    user: { v1: { UserService: ClientConstructor<UserServiceClient> } };
    auth: { v1: { AuthService: ClientConstructor<AuthServiceClient> } };
  };
  return { UserService: loaded.user.v1.UserService, AuthService: loaded.auth.v1.AuthService };
}
