/** `update <id>`: change the fields given, keep the others, print the user. */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { printUser } from "../print-user.js";
import { openSession, SESSION_OPTIONS, UNARY_TIMEOUT_MS } from "../session.js";
import { expectPositionals, UsageError } from "../usage-error.js";

export const updateCommand: Command = {
  name: "update",
  synopsis: "<id> [--username NAME] [--email ADDRESS] [--role ROLE]...",
  summary: "change a user's username, email or (admins only) roles",
  async run(argv, env) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        ...SESSION_OPTIONS,
        username: { type: "string" },
        email: { type: "string" },
        role: { type: "string", multiple: true },
      },
      allowPositionals: true,
    });
    const [id] = expectPositionals(positionals, ["id"]);
    const roles = values.role ?? [];
    if (values.username === undefined && values.email === undefined && roles.length === 0) {
      throw new UsageError("nothing to change: give --username, --email or --role");
    }
    const session = openSession(values, env, { timeoutMs: UNARY_TIMEOUT_MS, needsToken: true });
    const request = { id, username: values.username, email: values.email, roles };
    printUser(await session.users.updateUser(request, { timeoutMs: session.timeoutMs }));
  },
};
