/** `create`: sign up (needs no token) and print the new user. */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { passwordFrom } from "../password.js";
import { printUser } from "../print-user.js";
import { openSession, SESSION_OPTIONS, UNARY_TIMEOUT_MS } from "../session.js";
import { requireFlag } from "../usage-error.js";

export const createCommand: Command = {
  name: "create",
  synopsis: "--username NAME --email ADDRESS [--password PASSWORD]",
  summary: "sign up a new user (no token needed) and print it",
  async run(argv, env) {
    const { values } = parseArgs({
      args: argv,
      options: { ...SESSION_OPTIONS, username: { type: "string" }, email: { type: "string" }, password: { type: "string" } },
    });
    const request = {
      username: requireFlag(values.username, "--username"),
      email: requireFlag(values.email, "--email"),
      password: passwordFrom(values.password, env),
    };
    const session = openSession(values, env, { timeoutMs: UNARY_TIMEOUT_MS, needsToken: false });
    printUser(await session.users.createUser(request, { timeoutMs: session.timeoutMs }));
  },
};
