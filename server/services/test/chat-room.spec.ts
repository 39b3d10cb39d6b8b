import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ChatMessageSchema, type ChatMessage } from "../../../gen/user/v1/user_pb.js";
import { ChatRoom, MEMBER_QUEUE_LIMIT } from "../chat-room.js";

const message = (text: string) => create(ChatMessageSchema, { userId: "u1", text });

async function take(iterator: AsyncIterator<ChatMessage>, count: number): Promise<string[]> {
  const texts: string[] = [];
  while (texts.length < count) {
    const next = await iterator.next();
    assert.equal(next.done, false);
    texts.push(next.value.text);
  }
  return texts;
}

describe("chat room", () => {
  it("delivers every message to every member, in order", async () => {
    const room = new ChatRoom();
    const a = room.join(new AbortController().signal)[Symbol.asyncIterator]();
    const b = room.join(new AbortController().signal)[Symbol.asyncIterator]();
    room.broadcast(message("one"));
    room.broadcast(message("two"));
    assert.deepEqual(await take(a, 2), ["one", "two"]);
    assert.deepEqual(await take(b, 2), ["one", "two"]);
  });

  it("wakes a member that is waiting for the next message", async () => {
    const room = new ChatRoom();
    const a = room.join(new AbortController().signal)[Symbol.asyncIterator]();
    const pending = a.next();
    room.broadcast(message("late"));
    assert.equal((await pending).value?.text, "late");
  });

  it("ends a member after its queued messages when it ends", async () => {
    const room = new ChatRoom();
    const member = room.join(new AbortController().signal);
    room.broadcast(message("last"));
    member.end();
    assert.equal(room.size, 0);
    const texts = [];
    for await (const m of member) texts.push(m.text);
    assert.deepEqual(texts, ["last"]);
  });

  it("removes a member at once when its signal aborts, even while it waits", async () => {
    const room = new ChatRoom();
    const controller = new AbortController();
    const iterator = room.join(controller.signal)[Symbol.asyncIterator]();
    const pending = iterator.next();
    controller.abort(new ConnectError("client went away", Code.Canceled));
    assert.equal(room.size, 0);
    await assert.rejects(pending, /client went away/);
  });

  it("does not admit a member whose signal already aborted", () => {
    const room = new ChatRoom();
    room.join(AbortSignal.abort());
    assert.equal(room.size, 0);
  });

  it("ends a member that falls too far behind with RESOURCE_EXHAUSTED and keeps serving the others", async () => {
    const room = new ChatRoom();
    const slow = room.join(new AbortController().signal)[Symbol.asyncIterator]();
    const fast = room.join(new AbortController().signal)[Symbol.asyncIterator]();
    for (let i = 0; i <= MEMBER_QUEUE_LIMIT; i++) {
      room.broadcast(message(`m${i}`));
      await fast.next();
    }
    assert.equal(room.size, 1);
    await assert.rejects(slow.next(), (e: unknown) => e instanceof ConnectError && e.code === Code.ResourceExhausted);
    room.broadcast(message("still here"));
    assert.equal((await fast.next()).value?.text, "still here");
  });

  it("leaves the room when the reader stops early", async () => {
    const room = new ChatRoom();
    const member = room.join(new AbortController().signal);
    room.broadcast(message("one"));
    for await (const _ of member) break;
    assert.equal(room.size, 0);
  });
});
