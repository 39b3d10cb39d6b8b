/**
 * What every end-to-end test gets: a page on the app with the project's
 * transport chosen in the transport switch, and checks that run after each
 * test — every request stayed on this machine, and every RPC the page made
 * used the chosen transport and started a trace of its own with a valid W3C
 * traceparent.
 */
import { randomBytes } from "node:crypto";
import { expect, test as base, type Page } from "@playwright/test";

export type TransportId = "connect-json" | "connect-binary" | "grpc-web";

export interface TransportOption {
  transport: TransportId;
}

export const PASSWORD = "correct horse battery";

/** What a request of each transport looks like on the wire. */
const CONTENT_TYPES: Record<TransportId, RegExp> = {
  "connect-json": /^application\/(connect\+)?json/,
  "connect-binary": /^application\/(connect\+)?proto/,
  "grpc-web": /^application\/grpc-web\+proto/,
};
/** Connect sends calls without side effects (GetUser) as GET with the encoding in the query. */
const GET_ENCODINGS: Partial<Record<TransportId, string>> = { "connect-json": "json", "connect-binary": "proto" };
const RPC_PATH = /^\/[a-z0-9_.]+\.[A-Z]\w*\/[A-Z]\w*$/;
/** Version 00, a trace id and a parent id that are not all zeros, sampled. */
const TRACEPARENT = /^00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-01$/;

export const test = base.extend<TransportOption & { app: Page }>({
  transport: ["connect-json", { option: true }],

  app: async ({ page, transport }, use) => {
    const outside: string[] = [];
    const wrongTransport: string[] = [];
    const withoutTraceparent: string[] = [];
    const traceIds = new Set<string>();
    let rpcs = 0;
    page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.protocol !== "data:" && url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
        outside.push(request.url());
      }
      if (!RPC_PATH.test(url.pathname)) {
        return;
      }
      const ok =
        request.method() === "GET"
          ? url.searchParams.get("encoding") === GET_ENCODINGS[transport]
          : CONTENT_TYPES[transport].test(request.headers()["content-type"] ?? "");
      if (!ok) {
        wrongTransport.push(`${request.method()} ${url.pathname} ${request.headers()["content-type"]}`);
      }
      rpcs++;
      const traceparent = request.headers()["traceparent"] ?? "(none)";
      const traceId = TRACEPARENT.exec(traceparent)?.[1];
      if (traceId === undefined) {
        withoutTraceparent.push(`${request.method()} ${url.pathname} ${traceparent}`);
      } else {
        traceIds.add(traceId);
      }
    });
    await page.goto("/");
    await page.getByLabel("Transport").selectOption(transport);
    await use(page);
    expect(outside, "requests that left the machine").toEqual([]);
    expect(wrongTransport, `RPCs not sent over ${transport}`).toEqual([]);
    expect(withoutTraceparent, "RPCs without a valid traceparent").toEqual([]);
    expect(traceIds.size, "RPCs that started a trace of their own").toBe(rpcs);
  },
});

export { expect };

/** A username no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString("hex")}`;
}

export async function signUp(page: Page, username: string): Promise<void> {
  await page.goto("/#/signup");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email").fill(`${username}@example.com`);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText(`Account ${username} created`)).toBeVisible();
}

export async function logIn(page: Page, username: string): Promise<void> {
  await page.goto("/#/login");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("button", { name: `Sign out ${username}` })).toBeVisible();
}

/** Signs up and logs in a new user; returns the username. */
export async function signedIn(page: Page, prefix: string): Promise<string> {
  const username = uniqueName(prefix);
  await signUp(page, username);
  await logIn(page, username);
  return username;
}
