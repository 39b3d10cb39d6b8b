/**
 * `import <file>`: client-streams the users of a CSV or JSONL file to
 * CreateUsers (any signed-in user may; at most 10,000 per call), showing
 * progress on standard error, and prints the created users. All or nothing:
 * a bad line fails before the call, an entry the server refuses fails it,
 * and no one is created.
 */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { createProgress, type Progress } from "../import/progress.js";
import { formatOf, readUsersFile } from "../import/read-users-file.js";
import { printUser } from "../print-user.js";
import { openSession, SESSION_OPTIONS } from "../session.js";
import { expectPositionals } from "../usage-error.js";

/** The server hashes every password after the last entry arrives: 10,000 of them take minutes. */
const IMPORT_TIMEOUT_MS = 10 * 60_000;

export const importCommand: Command = {
  name: "import",
  synopsis: "<users.csv|users.jsonl> [--format csv|jsonl]",
  summary: "create every user of a CSV (username,email,password header) or JSONL file in one call",
  async run(argv, env) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...SESSION_OPTIONS, format: { type: "string" } },
      allowPositionals: true,
    });
    const [path] = expectPositionals(positionals, ["file"]);
    const format = formatOf(path, values.format);
    const session = openSession(values, env, { timeoutMs: IMPORT_TIMEOUT_MS, needsToken: true });
    const file = await readUsersFile(path, format);
    const progress = createProgress(process.stderr, file.count);
    const { users } = await session.users.createUsers(sentWithProgress(file.users(), progress), {
      timeoutMs: session.timeoutMs,
    });
    for (const user of users) {
      printUser(user);
    }
    progress.created(users.length);
  },
};

/** The users of the file, counted as the transport takes each one. */
async function* sentWithProgress<T>(users: AsyncIterable<T>, progress: Progress) {
  let sent = 0;
  for await (const user of users) {
    yield user;
    progress.update(++sent);
  }
  progress.allSent();
}
