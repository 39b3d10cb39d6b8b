/** `delete <id>`: remove a user (your own account, or any as an admin). */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { openSession, SESSION_OPTIONS, UNARY_TIMEOUT_MS } from "../session.js";
import { expectPositionals } from "../usage-error.js";

export const deleteCommand: Command = {
  name: "delete",
  synopsis: "<id>",
  summary: "delete a user",
  async run(argv, env) {
    const { values, positionals } = parseArgs({ args: argv, options: SESSION_OPTIONS, allowPositionals: true });
    const [id] = expectPositionals(positionals, ["id"]);
    const session = openSession(values, env, { timeoutMs: UNARY_TIMEOUT_MS, needsToken: true });
    await session.users.deleteUser({ id }, { timeoutMs: session.timeoutMs });
    process.stdout.write(`deleted ${id}\n`);
  },
};
