/** Where the end-to-end server writes its log (see playwright.config.ts), and how tests read it. */
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const E2E_PORT = Number(process.env.E2E_PORT ?? 8181);
export const serverLogPath = join(tmpdir(), `user-service-e2e-${E2E_PORT}.log`);

/** The server's structured log lines so far. */
export async function serverLogLines(): Promise<Record<string, unknown>[]> {
  const text = await readFile(serverLogPath, "utf8");
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
