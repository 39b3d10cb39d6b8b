/**
 * UserService: accounts, paging, bulk import and the chat room.
 * Protocol-agnostic: the same code answers gRPC, gRPC-Web and Connect.
 *
 * Request messages arrive checked against the contract's buf.validate rules
 * (ids, lengths, patterns, page size; server/interceptors/validation.ts, always
 * installed by app.ts). The handlers normalise fields and check what the rules
 * cannot: uniqueness, existence, page tokens, the import size.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { availableParallelism } from "node:os";
import { randomUUID } from "node:crypto";
import { setImmediate } from "node:timers/promises";
import {
  ChatMessageSchema,
  UserService,
  type ChatMessage,
  type CreateUserRequest,
} from "../../gen/user/v1/user_pb.js";
import { callerOf } from "../auth/identity.js";
import { DuplicateUserError, type StoredUser, type UserCursor, type UserStore } from "../storage/store.js";
import type { ChatRoom, ChatMember } from "./chat-room.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import type { PasswordHasher } from "./password.js";
import { normalizeEmail, normalizeId, normalizeUsername } from "./user-fields.js";
import { canSeeEmail, requireAdmin, requireOwnerOrAdmin } from "./user-access.js";
import { toUserMessage } from "./user-message.js";

/** Users read from storage per query while streaming: bounds memory per stream. */
export const LIST_BATCH_SIZE = 500;
/** CreateUsers accepts at most this many users per call. */
export const MAX_IMPORT_SIZE = 10_000;
/** The trailer that carries the cursor of the next ListUsers page. */
export const NEXT_PAGE_TOKEN_TRAILER = "next-page-token";

const DEFAULT_ROLES: readonly string[] = ["user"];
// One scrypt per core at a time: enough to keep every core busy while a
// cancelled import stops after the hashes already running.
const HASH_CONCURRENCY = availableParallelism();

export interface UserServiceDeps {
  readonly store: UserStore;
  readonly hasher: PasswordHasher;
  readonly room: ChatRoom;
}

export function createUserService({ store, hasher, room }: UserServiceDeps): ServiceImpl<typeof UserService> {
  return {
    async getUser(req, ctx) {
      const user = await findUser(store, normalizeId(req.id));
      return toUserMessage(user, canSeeEmail(callerOf(ctx), user.id));
    },

    async createUser(req) {
      const user = await newUser(hasher, normalizeNewUser(req));
      try {
        await store.create(user);
      } catch (e) {
        throw alreadyExists(e, user);
      }
      return toUserMessage(user);
    },

    async updateUser(req, ctx) {
      const id = normalizeId(req.id);
      const caller = callerOf(ctx);
      requireOwnerOrAdmin(caller, id, "update");
      if (req.roles.length > 0) {
        requireAdmin(caller, "change roles");
      }
      const patch = {
        username: req.username === undefined ? undefined : normalizeUsername(req.username),
        email: req.email === undefined ? undefined : normalizeEmail(req.email),
        roles: req.roles.length > 0 ? req.roles : undefined,
      };
      let updated: StoredUser | undefined;
      try {
        updated = await store.update(id, patch);
      } catch (e) {
        throw alreadyExists(e, patch);
      }
      return toUserMessage(updated ?? notFound(id));
    },

    async deleteUser(req, ctx) {
      const id = normalizeId(req.id);
      requireOwnerOrAdmin(callerOf(ctx), id, "delete");
      if (!(await store.delete(id))) {
        notFound(id);
      }
      return { success: true };
    },

    async *listUsers(req, ctx) {
      const caller = callerOf(ctx);
      let cursor = req.pageToken === "" ? undefined : decodePageToken(req.pageToken);
      // The rules bound page_size to 0..1000.
      let remaining = req.pageSize === 0 ? Infinity : req.pageSize;
      for (;;) {
        // One more than the page needs tells whether a next page exists.
        const want = Math.min(LIST_BATCH_SIZE, remaining + 1);
        ctx.signal.throwIfAborted();
        const batch = await store.listPage(cursor, want);
        for (const user of batch) {
          if (remaining === 0) {
            ctx.responseTrailer.set(NEXT_PAGE_TOKEN_TRAILER, encodePageToken(cursor as UserCursor));
            return;
          }
          // Each yield waits until the client has room for the message, so a
          // slow reader pauses the database reads instead of filling memory.
          yield toUserMessage(user, canSeeEmail(caller, user.id));
          remaining--;
          cursor = user;
        }
        if (batch.length < want) {
          return;
        }
        // Storage calls may be synchronous (SQLite) and socket writes return at
        // once while the kernel takes bytes: without this turn a fast reader
        // would hold the event loop for the whole stream.
        await setImmediate();
      }
    },

    async createUsers(requests, ctx) {
      const entries = await readImport(requests);
      const users = await hashAll(hasher, entries, ctx);
      try {
        await store.createMany(users);
      } catch (e) {
        if (e instanceof DuplicateUserError && e.index !== undefined) {
          throw atEntry(e.index, alreadyExists(e, users[e.index]!));
        }
        throw e;
      }
      // The caller supplied these emails: they see them back.
      return { users: users.map((user) => toUserMessage(user)), count: users.length };
    },

    async *chat(requests, ctx) {
      const member = room.join(ctx.signal);
      void relayToRoom(requests, member, room, senderOf(ctx));
      yield* member;
    },

    async *chatSubscribe(_req, ctx) {
      yield* room.join(ctx.signal);
    },

    async sendChatMessage(req, ctx) {
      const message = stamped(senderOf(ctx), req.text);
      room.broadcast(message);
      return message;
    },
  };
}

export interface NewUserFields {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

export function normalizeNewUser(req: CreateUserRequest): NewUserFields {
  return {
    username: normalizeUsername(req.username),
    email: normalizeEmail(req.email),
    password: req.password,
  };
}

export async function newUser(
  hasher: PasswordHasher,
  fields: NewUserFields,
  roles: readonly string[] = DEFAULT_ROLES,
): Promise<StoredUser> {
  return {
    id: randomUUID(),
    username: fields.username,
    email: fields.email,
    passwordHash: await hasher.hash(fields.password),
    createdAt: Math.floor(Date.now() / 1000),
    roles,
  };
}

async function findUser(store: UserStore, id: string): Promise<StoredUser> {
  return (await store.get(id)) ?? notFound(id);
}

function notFound(id: string): never {
  throw new ConnectError(`no user has id ${id}`, Code.NotFound);
}

/** Turns a storage uniqueness clash into ALREADY_EXISTS naming the taken value. */
function alreadyExists(e: unknown, attempted: { username?: string; email?: string }): unknown {
  if (!(e instanceof DuplicateUserError)) {
    return e;
  }
  return new ConnectError(`${e.field} "${attempted[e.field]}" is already taken`, Code.AlreadyExists);
}

/** Prefixes an error with the import entry it concerns. */
function atEntry(index: number, e: unknown): unknown {
  if (!(e instanceof ConnectError)) {
    return e;
  }
  return new ConnectError(`entry ${index}: ${e.rawMessage}`, e.code);
}

/**
 * Reads every import entry before anything is hashed or stored, so a bad entry
 * (the validation interceptor fails the stream at it) or a duplicate fails the
 * call early, and an over-long stream is cut off at the cap.
 */
async function readImport(requests: AsyncIterable<CreateUserRequest>): Promise<NewUserFields[]> {
  const entries: NewUserFields[] = [];
  const usernames = new Map<string, number>();
  const emails = new Map<string, number>();
  for await (const req of requests) {
    const index = entries.length;
    if (index === MAX_IMPORT_SIZE) {
      throw new ConnectError(
        `CreateUsers accepts at most ${MAX_IMPORT_SIZE} users per call: split the import into several calls`,
        Code.ResourceExhausted,
      );
    }
    const entry = normalizeNewUser(req);
    claimOnce(usernames, entry.username, "username", index);
    claimOnce(emails, entry.email, "email", index);
    entries.push(entry);
  }
  return entries;
}

function claimOnce(seen: Map<string, number>, value: string, field: string, index: number): void {
  const key = value.toLowerCase();
  const first = seen.get(key);
  if (first !== undefined) {
    throw new ConnectError(
      `entry ${index}: ${field} "${value}" already appears at entry ${first} of this import`,
      Code.AlreadyExists,
    );
  }
  seen.set(key, index);
}

async function hashAll(hasher: PasswordHasher, entries: NewUserFields[], ctx: HandlerContext): Promise<StoredUser[]> {
  const users = new Array<StoredUser>(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      ctx.signal.throwIfAborted();
      const index = next++;
      users[index] = await newUser(hasher, entries[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASH_CONCURRENCY, entries.length) }, worker));
  return users;
}

/** The auth interceptor guarantees a caller on every method but sign-up and login. */
function senderOf(ctx: HandlerContext): string {
  return callerOf(ctx)!.userId;
}

/**
 * A chat message as the room delivers it. Whatever user_id a client wrote,
 * the sender is who the token says; the time is the server's.
 */
function stamped(senderId: string, text: string): ChatMessage {
  return create(ChatMessageSchema, { userId: senderId, text, timestamp: BigInt(Date.now()) });
}

/**
 * Broadcasts what the client sends until it stops sending. A message that
 * breaks the rules (the validation interceptor throws at it) ends its stream.
 */
async function relayToRoom(
  requests: AsyncIterable<ChatMessage>,
  member: ChatMember,
  room: ChatRoom,
  senderId: string,
): Promise<void> {
  try {
    for await (const message of requests) {
      room.broadcast(stamped(senderId, message.text));
    }
    member.end();
  } catch (e) {
    member.fail(e);
  }
}
