/**
 * A @grpc/grpc-js server the way a Node user writes one: the contract loaded
 * at run time with @grpc/proto-loader (protobuf.js codecs) from the compiled
 * descriptor set, as examples/grpc-js/ does, and one unary handler. Only
 * GetUser is implemented; grpc-js answers the other methods UNIMPLEMENTED.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ConnectError } from "@connectrpc/connect";
import type { StoredUser } from "../../server/storage/store.js";
import { toUserMessage } from "../../server/services/user-message.js";

/** A user as proto-loader wants it: .proto field names, int64 as a decimal string. */
export interface GrpcJsUser {
  id: string;
  username: string;
  email: string;
  created_at: string;
  roles: string[];
}

export type GetUserHandler = (id: string, metadata: grpc.Metadata) => Promise<GrpcJsUser>;

/** The same message our services build (server/services/user-message.ts), in proto-loader's shape. */
export function toGrpcJsUser(user: StoredUser, showEmail: boolean): GrpcJsUser {
  const message = toUserMessage(user, showEmail);
  return {
    id: message.id!,
    username: message.username!,
    email: message.email!,
    created_at: String(message.createdAt),
    roles: [...(message.roles ?? [])],
  };
}

export async function serveGetUser(options: {
  contractPath: string;
  host: string;
  port: number;
  getUser: GetUserHandler;
}): Promise<grpc.Server> {
  const definition = protoLoader.loadFileDescriptorSetFromBuffer(readFileSync(options.contractPath), {
    longs: String,
    enums: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    user: { v1: { UserService: grpc.ServiceClientConstructor } };
  };
  const server = new grpc.Server();
  server.addService(loaded.user.v1.UserService.service, {
    GetUser(call: grpc.ServerUnaryCall<{ id: string }, GrpcJsUser>, callback: grpc.sendUnaryData<GrpcJsUser>) {
      options.getUser(call.request.id, call.metadata).then(
        (user) => callback(null, user),
        (e: unknown) => callback(toServiceError(e)),
      );
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
  return server;
}

/** Connect's codes are gRPC's status numbers. */
function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const error = ConnectError.from(e);
  return { code: error.code as number as grpc.status, details: error.rawMessage };
}
