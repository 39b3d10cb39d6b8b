/**
 * Many members of the server's chat room, each a Chat stream (gRPC bidi) on
 * a few HTTP/2 connections (the server allows 100 streams per connection).
 * Every member first sends a "join" message: its own message coming back
 * shows it is in the room (the server adds a stream to the room before it
 * relays the stream's messages). Once all are in, the first member sends,
 * and each delivery's latency (send to arrival at that member) is recorded.
 */
import { setMaxListeners } from "node:events";
import type http2 from "node:http2";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import { connectH2, expectOk, openGrpcStream, type GrpcStream } from "./grpc-stream.js";

const CHAT_PATH = "/user.v1.UserService/Chat";
const STREAMS_PER_CONNECTION = 50;

export interface ChatRoomRound {
  /** Every delivery's latency in ms, sorted. */
  readonly latencies: Float64Array;
  readonly expectedDeliveries: number;
}

export interface ChatRoomOptions {
  readonly url: string;
  readonly token: string;
  readonly members: number;
  readonly messages: number;
  readonly intervalMs: number;
  /** Names this round's messages, so a late one from another round is not counted. */
  readonly round: number;
  /** How long joining and delivery may take before the round fails. */
  readonly timeoutMs: number;
}

export async function runChatRound(options: ChatRoomOptions): Promise<ChatRoomRound> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  // Every member's stream listens to it.
  setMaxListeners(options.members + 10, signal);
  const sessions: http2.ClientHttp2Session[] = [];
  for (let i = 0; i < Math.ceil(options.members / STREAMS_PER_CONNECTION); i++) {
    sessions.push(await connectH2(options.url));
  }
  try {
    const sentAt = new Float64Array(options.messages);
    const latencies: number[] = [];
    const joined = new Set<number>();
    let allJoined!: () => void;
    const everyoneJoined = new Promise<void>((resolve) => (allJoined = resolve));
    let allDelivered!: () => void;
    const everythingDelivered = new Promise<void>((resolve) => (allDelivered = resolve));
    const expectedDeliveries = options.members * options.messages;
    const prefix = `r${options.round} `;

    const members: GrpcStream[] = Array.from({ length: options.members }, (_, index) =>
      openGrpcStream(sessions[Math.floor(index / STREAMS_PER_CONNECTION)]!, {
        path: CHAT_PATH,
        token: options.token,
        signal,
        onMessage(data) {
          const arrived = performance.now();
          const { text } = fromBinary(ChatMessageSchema, data);
          if (text === `${prefix}join ${index}` && joined.add(index).size === options.members) {
            allJoined();
          } else if (text.startsWith(`${prefix}m `)) {
            latencies.push(arrived - sentAt[Number(text.slice(prefix.length + 2))]!);
            if (latencies.length === expectedDeliveries) {
              allDelivered();
            }
          }
        },
      }),
    );
    // Awaited below, or left behind when the round fails: never unhandled.
    members.forEach((member) => member.done.catch(() => {}));
    const send = (member: GrpcStream, text: string) => member.send(toBinary(ChatMessageSchema, create(ChatMessageSchema, { text })));
    members.forEach((member, index) => send(member, `${prefix}join ${index}`));
    await raceSignal(everyoneJoined, signal, () => `only ${joined.size} of ${options.members} members joined`);

    const sender = members[0]!;
    for (let seq = 0; seq < options.messages; seq++) {
      sentAt[seq] = performance.now();
      send(sender, `${prefix}m ${seq}`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
    await raceSignal(everythingDelivered, signal, () => `${latencies.length} of ${expectedDeliveries} deliveries arrived`);
    // Ending the request streams ends the members' streams, each with grpc-status 0.
    members.forEach((member) => member.end());
    for (const member of members) {
      expectOk(await member.done, "Chat");
    }
    return { latencies: Float64Array.from(latencies).sort(), expectedDeliveries };
  } finally {
    sessions.forEach((session) => session.destroy());
  }
}

function raceSignal(promise: Promise<void>, signal: AbortSignal, why: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error(`chat round timed out: ${why()}`));
    if (signal.aborted) {
      onAbort();
    }
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}
