/** `get <id>`: print one user. */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { printUser } from "../print-user.js";
import { openSession, SESSION_OPTIONS, UNARY_TIMEOUT_MS } from "../session.js";
import { expectPositionals } from "../usage-error.js";

export const getCommand: Command = {
  name: "get",
  synopsis: "<id>",
  summary: "print one user",
  async run(argv, env) {
    const { values, positionals } = parseArgs({ args: argv, options: SESSION_OPTIONS, allowPositionals: true });
    const [id] = expectPositionals(positionals, ["id"]);
    const session = openSession(values, env, { timeoutMs: UNARY_TIMEOUT_MS, needsToken: true });
    printUser(await session.users.getUser({ id }, { timeoutMs: session.timeoutMs }));
  },
};
