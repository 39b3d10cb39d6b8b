/**
 * GetUser as each protocol puts it on the wire: the request's headers and
 * body (what h2load sends, from a file), and how to tell a successful answer
 * from the response's status, headers, body and trailers. gRPC and gRPC-Web
 * carry errors in an HTTP 200, so an answer counts only with grpc-status 0.
 */
import { create, fromBinary, fromJson, toBinary, toJsonString } from "@bufbuild/protobuf";
import { GetUserRequestSchema, UserSchema, type User } from "../../gen/user/v1/user_pb.js";
import { frame, FrameReader, parseTrailerFrame, TRAILER_FLAG, type Frame } from "./grpc-frame.js";

export interface WireResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly trailers: Readonly<Record<string, string>>;
}

export type UnaryProtocolId = "grpc" | "connect-proto" | "grpc-web" | "connect-json";

export interface UnaryProtocol {
  readonly id: UnaryProtocolId;
  readonly label: string;
  readonly httpVersion: "1.1" | "2";
  /** Request headers beside authorization. */
  readonly headers: Readonly<Record<string, string>>;
  /** The request body for GetUser(id). */
  body(id: string): Buffer;
  /** The user a successful answer carries; throws saying why the answer is not one. */
  read(response: WireResponse): User;
}

export const GET_USER_PATH = "/user.v1.UserService/GetUser";

const requestBytes = (id: string) => toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id }));

export const unaryProtocols: readonly UnaryProtocol[] = [
  {
    id: "grpc",
    label: "gRPC (HTTP/2)",
    httpVersion: "2",
    headers: { "content-type": "application/grpc", te: "trailers" },
    body: (id) => frame(requestBytes(id)),
    read(res) {
      expectStatus(res, 200);
      // A trailers-only answer (every error) puts grpc-status in the headers.
      expectGrpcOk(res.trailers["grpc-status"] ?? res.headers["grpc-status"], res.trailers["grpc-message"] ?? res.headers["grpc-message"]);
      return fromBinary(UserSchema, onlyMessage(new FrameReader().push(res.body)));
    },
  },
  {
    id: "connect-proto",
    label: "Connect binary (HTTP/2)",
    httpVersion: "2",
    headers: { "content-type": "application/proto" },
    body: (id) => Buffer.from(requestBytes(id)),
    read(res) {
      expectStatus(res, 200);
      return fromBinary(UserSchema, res.body);
    },
  },
  {
    id: "grpc-web",
    label: "gRPC-Web binary (HTTP/2)",
    httpVersion: "2",
    headers: { "content-type": "application/grpc-web+proto" },
    body: (id) => frame(requestBytes(id)),
    read(res) {
      expectStatus(res, 200);
      const frames = new FrameReader().push(res.body);
      const trailerFrame = frames.find((f) => f.flags === TRAILER_FLAG);
      const trailers = trailerFrame === undefined ? new Map<string, string>() : parseTrailerFrame(trailerFrame.data);
      expectGrpcOk(trailers.get("grpc-status") ?? res.headers["grpc-status"], trailers.get("grpc-message") ?? res.headers["grpc-message"]);
      return fromBinary(UserSchema, onlyMessage(frames));
    },
  },
  {
    id: "connect-json",
    label: "Connect JSON (HTTP/1.1)",
    httpVersion: "1.1",
    headers: { "content-type": "application/json" },
    body: (id) => Buffer.from(toJsonString(GetUserRequestSchema, create(GetUserRequestSchema, { id }))),
    read(res) {
      expectStatus(res, 200);
      return fromJson(UserSchema, JSON.parse(res.body.toString("utf8")));
    },
  },
];

export function unaryProtocol(id: UnaryProtocolId): UnaryProtocol {
  return unaryProtocols.find((p) => p.id === id)!;
}

function expectStatus(res: WireResponse, status: number): void {
  if (res.status !== status) {
    throw new Error(`HTTP ${res.status} (expected ${status}): ${res.body.toString("utf8").slice(0, 200)}`);
  }
}

/** The one message of a unary answer's frames (a gRPC-Web trailer frame aside). */
function onlyMessage(frames: readonly Frame[]): Uint8Array {
  const messages = frames.filter((f) => f.flags !== TRAILER_FLAG);
  if (messages.length !== 1 || messages[0]!.flags !== 0) {
    throw new Error(`expected one uncompressed message frame, got ${messages.length}`);
  }
  return messages[0]!.data;
}

function expectGrpcOk(status: string | undefined, message: string | undefined): void {
  if (status !== "0") {
    throw new Error(`grpc-status ${status ?? "missing"}${message ? `: ${decodeURIComponent(message)}` : ""}`);
  }
}
