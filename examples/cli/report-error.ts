/**
 * How a failed command ends: one line on standard error and an exit code.
 * An RPC error shows its Connect code and the server's message, which says
 * what to change; a mistake in the command line shows the usage as well.
 */
import type { Command } from "./command.js";
import { UsageError } from "./usage-error.js";

const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function reportError(e: unknown, command: Command): number {
  if (e instanceof UsageError || isParseArgsError(e)) {
    process.stderr.write(`error: ${e.message}\nusage: npm run client -- ${command.name} ${command.synopsis}\n`);
    return EXIT_USAGE;
  }
  // ConnectError's message reads "[not_found] no user has id ...".
  const message = e instanceof Error ? e.message : String(e);
  process.stderr.write(`error: ${message}\n`);
  return EXIT_FAILED;
}

/** node:util parseArgs throws these for unknown flags and missing values. */
function isParseArgsError(e: unknown): e is Error {
  return e instanceof TypeError && String((e as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_");
}
