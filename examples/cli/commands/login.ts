/**
 * `login`: print an access token, alone on standard output, so a shell can
 * keep it: `export USER_SERVICE_TOKEN=$(npm run --silent client -- login ...)`.
 */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { passwordFrom } from "../password.js";
import { openSession, SESSION_OPTIONS, UNARY_TIMEOUT_MS } from "../session.js";
import { requireFlag } from "../usage-error.js";

export const loginCommand: Command = {
  name: "login",
  synopsis: "--username NAME [--password PASSWORD]",
  summary: "print an access token for USER_SERVICE_TOKEN",
  async run(argv, env) {
    const { values } = parseArgs({
      args: argv,
      options: { ...SESSION_OPTIONS, username: { type: "string" }, password: { type: "string" } },
    });
    const request = { username: requireFlag(values.username, "--username"), password: passwordFrom(values.password, env) };
    const session = openSession(values, env, { timeoutMs: UNARY_TIMEOUT_MS, needsToken: false });
    const { accessToken, expiresAt } = await session.auth.login(request, { timeoutMs: session.timeoutMs });
    process.stdout.write(`${accessToken}\n`);
    process.stderr.write(`the token is valid until ${new Date(Number(expiresAt) * 1000).toISOString()}\n`);
  },
};
