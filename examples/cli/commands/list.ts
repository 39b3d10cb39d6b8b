/**
 * `list`: stream users to the terminal as they arrive. Without --page-size
 * one stream carries every user; with it, one page, or every page in turn
 * with --all, each page its own call (and deadline) resumed from the
 * next-page-token trailer of the one before.
 */
import { parseArgs } from "node:util";
import type { Command } from "../command.js";
import { printUser } from "../print-user.js";
import { openSession, SESSION_OPTIONS } from "../session.js";
import { UsageError } from "../usage-error.js";

/** A stream of the whole directory may take a while; the server reads only as fast as we print. */
const LIST_TIMEOUT_MS = 5 * 60_000;
const NEXT_PAGE_TOKEN_TRAILER = "next-page-token";

export const listCommand: Command = {
  name: "list",
  synopsis: "[--page-size N] [--page-token TOKEN] [--all]",
  summary: "stream users as they arrive; --page-size N pages (0 to 1000, 0: every user), --all follows the pages",
  async run(argv, env) {
    const { values } = parseArgs({
      args: argv,
      options: {
        ...SESSION_OPTIONS,
        "page-size": { type: "string", default: "0" },
        "page-token": { type: "string", default: "" },
        all: { type: "boolean", default: false },
      },
    });
    const pageSize = Number(values["page-size"]);
    if (!Number.isSafeInteger(pageSize) || pageSize < 0) {
      throw new UsageError(`--page-size must be a whole number from 0, got "${values["page-size"]}"`);
    }
    const session = openSession(values, env, { timeoutMs: LIST_TIMEOUT_MS, needsToken: true });
    let pageToken = values["page-token"];
    do {
      let next = "";
      const page = session.users.listUsers(
        { pageSize, pageToken },
        { timeoutMs: session.timeoutMs, onTrailer: (trailer) => (next = trailer.get(NEXT_PAGE_TOKEN_TRAILER) ?? "") },
      );
      for await (const user of page) {
        printUser(user);
      }
      pageToken = next;
    } while (values.all && pageToken !== "");
    if (pageToken !== "") {
      process.stderr.write(`more users follow: list --page-size ${pageSize} --page-token ${pageToken}\n`);
    }
  },
};
