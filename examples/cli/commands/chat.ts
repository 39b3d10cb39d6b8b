/**
 * `chat`: join the chat room (a bidirectional stream). Each line typed on
 * standard input is sent as a message; every message of the room, ours
 * included, is printed as it arrives. End of input (Ctrl-D) leaves the room.
 */
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { openSession, SESSION_OPTIONS } from "../session.js";

/** A chat session is long, but still bounded: a forgotten terminal leaves the room in time. */
const CHAT_TIMEOUT_MS = 60 * 60_000;

export const chatCommand: Command = {
  name: "chat",
  synopsis: "",
  summary: "join the chat room: send the lines you type, print what everyone says",
  async run(argv, env) {
    const { values } = parseArgs({ args: argv, options: SESSION_OPTIONS });
    const session = openSession(values, env, { timeoutMs: CHAT_TIMEOUT_MS, needsToken: true });
    process.stderr.write("chat: type a message and press Enter; Ctrl-D leaves\n");
    try {
      const room = session.users.chat(typedMessages(process.stdin), { timeoutMs: session.timeoutMs });
      for await (const message of room) {
        const time = new Date(Number(message.timestamp)).toTimeString().slice(0, 8);
        process.stdout.write(`${time} ${message.userId}: ${message.text}\n`);
      }
    } finally {
      // When the room ends the session first (a deadline, an error), stop
      // reading the terminal so the process can exit.
      process.stdin.destroy();
    }
  },
};

async function* typedMessages(input: NodeJS.ReadableStream) {
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    // The server ends the stream of anyone sending a blank message.
    if (line.trim() !== "") {
      yield { text: line };
    }
  }
}
