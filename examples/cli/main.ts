/**
 * The user service from a terminal: `npm run client -- <command> [flags]`.
 * A connect-node client over the gRPC protocol (HTTP/2) that uses every kind
 * of RPC, each call with a deadline and the access token.
 */
import type { Command } from "./command.js";
import { chatCommand } from "./commands/chat.js";
import { createCommand } from "./commands/create.js";
import { deleteCommand } from "./commands/delete.js";
import { getCommand } from "./commands/get.js";
import { importCommand } from "./commands/import.js";
import { listCommand } from "./commands/list.js";
import { loginCommand } from "./commands/login.js";
import { updateCommand } from "./commands/update.js";
import { EXIT_USAGE, reportError } from "./report-error.js";
import { DEFAULT_URL } from "./session.js";

const COMMANDS: readonly Command[] = [
  createCommand,
  loginCommand,
  getCommand,
  updateCommand,
  deleteCommand,
  listCommand,
  importCommand,
  chatCommand,
];

const [name, ...argv] = process.argv.slice(2);
const command = COMMANDS.find((c) => c.name === name);
if (command === undefined) {
  process.stderr.write(usage());
  process.exit(name === undefined || name === "help" || name === "--help" ? 0 : EXIT_USAGE);
}
if (argv.includes("--help")) {
  process.stdout.write(`usage: npm run client -- ${command.name} ${command.synopsis}\n${command.summary}\n`);
  process.exit(0);
}
try {
  await command.run(argv, process.env);
} catch (e) {
  // Not process.exit(): a failed stream's reset must still reach the server.
  // Node sends END_STREAM before RST_STREAM when it cancels an HTTP/2 stream,
  // so an import cut off by exiting would look complete to the server.
  process.exitCode = reportError(e, command);
}

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "usage: npm run client -- <command> [flags]",
    "",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Every command takes:",
    `  --url URL          the server (USER_SERVICE_URL, default ${DEFAULT_URL})`,
    "  --token TOKEN      the access token from login (USER_SERVICE_TOKEN)",
    "  --timeout 10s      the deadline of each call (streams wait longer by default)",
    "create and login read the password from --password or USER_SERVICE_PASSWORD.",
    "",
  ].join("\n");
}
