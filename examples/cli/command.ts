/** One CLI command: `npm run client -- <name> <arguments>`. */
import type { Env } from "./session.js";

export interface Command {
  readonly name: string;
  /** The arguments after the name, as the usage text shows them. */
  readonly synopsis: string;
  readonly summary: string;
  run(argv: string[], env: Env): Promise<void>;
}
