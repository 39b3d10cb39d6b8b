/** The call log panel, the request id the server logs, and ended sessions. */
import { expect, logIn, PASSWORD, signedIn, test, uniqueName, signUp } from "./fixtures.js";
import { serverLogLines } from "./server-log.js";

const TRANSPORT_LABELS = { "connect-json": "Connect (JSON)", "connect-binary": "Connect (binary)", "grpc-web": "gRPC-Web" };

test("records every call with its transport, code and duration", async ({ app, transport }) => {
  const username = uniqueName("logged");
  await signUp(app, username);
  await app.getByLabel("Password").fill("wrong password");
  await app.getByRole("button", { name: "Log in" }).click();
  await expect(app.getByRole("alert")).toContainText("unauthenticated");

  const rows = app.locator(".call-log tbody tr");
  const failed = rows.filter({ hasText: "AuthService/Login" }).first();
  await expect(failed.locator(".status")).toHaveText("unauthenticated");
  await expect(failed.locator(".duration")).toHaveText(/^\d+ ms$/);
  await expect(failed).toContainText(TRANSPORT_LABELS[transport]);
  const created = rows.filter({ hasText: "UserService/CreateUser" }).first();
  await expect(created.locator(".status")).toHaveText("ok");
  await expect(created.locator(".duration")).toHaveText(/^\d+ ms$/);
});

test("sends a request id that the server logs and echoes", async ({ app }) => {
  const username = uniqueName("traced");
  await signUp(app, username);
  const response = app.waitForResponse((r) => r.url().endsWith("/auth.v1.AuthService/Login"));
  await logIn(app, username);
  const sent = await (await response).request().headerValue("x-request-id");
  expect(sent).toMatch(/^[0-9a-f]{32}$/);
  expect(await (await response).headerValue("x-request-id")).toBe(sent);

  // The panel shows it too, to look a call up in the server's log.
  const row = app.locator(".call-log tbody tr", { hasText: "AuthService/Login" }).first();
  await expect(row.locator("td").first()).toHaveAttribute("title", `request id ${sent}`);
  await expect(async () => {
    const line = (await serverLogLines()).find((l) => l.requestId === sent);
    expect(line).toMatchObject({ rpc: "auth.v1.AuthService/Login", code: "ok" });
  }).toPass({ timeout: 5_000 });
});

test("a token the server refuses sends the user back to log in, and then back", async ({ app }) => {
  const username = await signedIn(app, "expired");
  await app.getByRole("link", { name: "Chat" }).click();
  await expect(app.getByRole("heading", { name: "Chat" })).toBeVisible();
  // Spoil the token's signature, as a rotated server key would.
  await app.evaluate(() => {
    const key = "user-service.session";
    const session = JSON.parse(sessionStorage.getItem(key)!) as { token: string };
    session.token = session.token.slice(0, -4) + (session.token.endsWith("AAAA") ? "BBBB" : "AAAA");
    sessionStorage.setItem(key, JSON.stringify(session));
  });
  await app.reload();
  await expect(app.getByText("Your session has ended: log in again.")).toBeVisible();
  await expect(app.getByRole("heading", { name: "Log in" })).toBeVisible();

  await app.getByLabel("Username").fill(username);
  await app.getByLabel("Password").fill(PASSWORD);
  await app.getByRole("button", { name: "Log in" }).click();
  await expect(app.getByRole("heading", { name: "Chat" })).toBeVisible();
});
