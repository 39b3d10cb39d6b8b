/**
 * The password for sign-up and login: --password, or USER_SERVICE_PASSWORD,
 * which keeps it out of shell history and the process list.
 */
import type { Env } from "./session.js";
import { UsageError } from "./usage-error.js";

export function passwordFrom(flag: string | undefined, env: Env): string {
  const password = flag ?? env.USER_SERVICE_PASSWORD;
  if (password === undefined || password === "") {
    throw new UsageError("give the password with --password or, better, in USER_SERVICE_PASSWORD");
  }
  return password;
}
