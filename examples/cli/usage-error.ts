/**
 * A mistake in the command line itself (an unknown flag, a missing argument):
 * reported with the command's usage and exit code 2, never sent to the server.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The positional arguments a command takes, by name; a usage error when the count differs. */
export function expectPositionals<const Names extends readonly string[]>(
  positionals: readonly string[],
  names: Names,
): { [K in keyof Names]: string } {
  if (positionals.length !== names.length) {
    const expected = names.map((n) => `<${n}>`).join(" ");
    throw new UsageError(`expected ${expected}, got ${positionals.length === 0 ? "nothing" : positionals.join(" ")}`);
  }
  return positionals as { [K in keyof Names]: string };
}

/** A flag the command cannot do without. */
export function requireFlag(value: string | undefined, flag: string): string {
  if (value === undefined) {
    throw new UsageError(`${flag} is required`);
  }
  return value;
}
