/**
 * Seeds the directory once for the whole run: DIRECTORY_USERS users from one
 * CreateUsers stream, so the directory tests page through at least that many.
 */
import type { FullConfig } from "@playwright/test";
import { nativeUser } from "./native-client.js";

export const DIRECTORY_USERS = 500;

export default async function globalSetup(config: FullConfig): Promise<void> {
  const baseUrl = config.projects[0]!.use.baseURL!;
  const { client } = await nativeUser(baseUrl, "seeder");
  const run = Date.now().toString(36);
  async function* users() {
    for (let i = 0; i < DIRECTORY_USERS; i++) {
      const username = `dir_${run}_${String(i).padStart(3, "0")}`;
      yield { username, email: `${username}@example.com`, password: "directory user" };
    }
  }
  const { count } = await client.createUsers(users(), { timeoutMs: 60_000 });
  if (count !== DIRECTORY_USERS) {
    throw new Error(`seeding created ${count} users, expected ${DIRECTORY_USERS}`);
  }
}
