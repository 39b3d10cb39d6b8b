/**
 * Anchor (d), the floor: Node's own HTTP/2 stream API with gRPC framing built
 * by hand and @bufbuild/protobuf codecs, answering GetUser from memory. No
 * framework, no token, no validation, no log: no Node server answering these
 * protocols can do much less per call. It speaks the three HTTP/2 protocols
 * the bench loads, picked by content type: gRPC, gRPC-Web (binary) and
 * Connect (binary, unary).
 *
 * Configured like the server (PORT, HOST, DATA_DIR, DATABASE_PATH).
 */
import http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema, UserSchema } from "../../gen/user/v1/user_pb.js";
import { loadConfig } from "../../server/config.js";
import { normalizeId } from "../../server/services/user-fields.js";
import { toUserMessage } from "../../server/services/user-message.js";
import { frame, TRAILER_FLAG } from "../load/grpc-frame.js";
import { loadUsersIntoMap } from "./users-in-memory.js";

const GRPC_OK_TRAILER = frame(Buffer.from("grpc-status: 0\r\n", "latin1"), TRAILER_FLAG);
const NOT_FOUND = 5;

interface Protocol {
  /** The GetUser request's bytes, from the request body. */
  unwrap(body: Buffer): Buffer;
  /** Answers with the user's bytes, or NOT_FOUND. */
  answer(stream: http2.ServerHttp2Stream, user: Uint8Array | undefined): void;
}

const protocols: Record<string, Protocol> = {
  "application/grpc": {
    unwrap: (body) => body.subarray(5),
    answer(stream, user) {
      if (user === undefined) {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": NOT_FOUND }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(frame(user));
    },
  },
  "application/grpc-web+proto": {
    unwrap: (body) => body.subarray(5),
    answer(stream, user) {
      if (user === undefined) {
        stream.respond({ ":status": 200, "content-type": "application/grpc-web+proto", "grpc-status": NOT_FOUND }, { endStream: true });
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
      stream.end(Buffer.concat([frame(user), GRPC_OK_TRAILER]));
    },
  },
  "application/proto": {
    unwrap: (body) => body,
    answer(stream, user) {
      if (user === undefined) {
        stream.respond({ ":status": 404, "content-type": "application/json" });
        stream.end('{"code":"not_found"}');
        return;
      }
      stream.respond({ ":status": 200, "content-type": "application/proto" });
      stream.end(user);
    },
  },
};

const config = loadConfig();
const users = await loadUsersIntoMap(config.storage);

const server = http2.createServer({ settings: { maxConcurrentStreams: 100 } });
server.on("stream", (stream, headers) => {
  const protocol = protocols[String(headers["content-type"])];
  if (protocol === undefined) {
    stream.respond({ ":status": 415 }, { endStream: true });
    return;
  }
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  stream.on("end", () => {
    const request = fromBinary(GetUserRequestSchema, protocol.unwrap(Buffer.concat(chunks)));
    const user = users.get(normalizeId(request.id));
    // The bench asks for its own account, whose email the owner sees.
    protocol.answer(stream, user && toBinary(UserSchema, create(UserSchema, toUserMessage(user, true))));
  });
  stream.on("error", () => {});
});
server.listen(config.port, config.host);
process.once("SIGTERM", () => process.exit(0));
