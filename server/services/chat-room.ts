/**
 * The chat room behind UserService.Chat: every message is delivered to every
 * member, the sender included.
 *
 * Delivery never waits for a receiver. Each member has a bounded queue that its
 * response stream drains as fast as the client reads (HTTP/2 flow control makes
 * the stream's writes wait on a slow reader). A member whose queue overflows is
 * ended with RESOURCE_EXHAUSTED, so one slow client cannot grow the server's
 * memory or hold back the others.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { ChatMessage } from "../../gen/user/v1/user_pb.js";

export const MEMBER_QUEUE_LIMIT = 256;

export class ChatRoom {
  readonly #members = new Set<ChatMember>();

  get size(): number {
    return this.#members.size;
  }

  /**
   * Adds a member until it ends or `signal` aborts. Listening to the signal
   * matters: a reader waiting for the next message would otherwise stay in the
   * room after its client cancelled, until someone spoke.
   */
  join(signal: AbortSignal): ChatMember {
    const member = new ChatMember(this.#members);
    this.#members.add(member);
    if (signal.aborted) {
      member.fail(signal.reason);
    } else {
      signal.addEventListener("abort", () => member.fail(signal.reason), { once: true });
    }
    return member;
  }

  broadcast(message: ChatMessage): void {
    for (const member of this.#members) {
      member.deliver(message);
    }
  }
}

/**
 * One connected Chat stream: an async iterable of the messages to send it.
 * It leaves the room as soon as it ends, fails or its reader stops.
 */
export class ChatMember implements AsyncIterable<ChatMessage> {
  readonly #queue: ChatMessage[] = [];
  readonly #room: Set<ChatMember>;
  #wake: (() => void) | undefined;
  #ended = false;
  #error: unknown;

  constructor(room: Set<ChatMember>) {
    this.#room = room;
  }

  deliver(message: ChatMessage): void {
    if (this.#queue.length >= MEMBER_QUEUE_LIMIT) {
      this.fail(
        new ConnectError(
          `chat stream closed: the client fell more than ${MEMBER_QUEUE_LIMIT} messages behind; reconnect to rejoin`,
          Code.ResourceExhausted,
        ),
      );
      return;
    }
    this.#queue.push(message);
    this.#notify();
  }

  /** Ends the stream once the queued messages are sent. */
  end(): void {
    this.#room.delete(this);
    this.#ended = true;
    this.#notify();
  }

  /** Ends the stream with an error; queued messages are dropped. */
  fail(error: unknown): void {
    this.#queue.length = 0;
    this.#error ??= error;
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<ChatMessage> {
    try {
      for (;;) {
        const message = this.#queue.shift();
        if (message !== undefined) {
          yield message;
          continue;
        }
        if (this.#error !== undefined) {
          throw this.#error;
        }
        if (this.#ended) {
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // Also reached when the reader stops early (client cancelled).
      this.#room.delete(this);
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
