/** The directory streams ListUsers: rows as they arrive, pages, and Cancel. */
import { expect, signedIn, test } from "./fixtures.js";
import { DIRECTORY_USERS } from "./global-setup.js";

test("streams 500 users into the table with a live count", async ({ app }) => {
  await signedIn(app, "reader");
  await app.getByLabel("Page size").selectOption(String(DIRECTORY_USERS));
  await expect(app.getByText(`Page 1: ${DIRECTORY_USERS} users. More on the next page.`)).toBeVisible();
  await expect(app.locator("#received-count")).toHaveText(String(DIRECTORY_USERS));
  await expect(app.locator("table.directory tbody tr")).toHaveCount(DIRECTORY_USERS);
  // The call log counted the stream's messages.
  const call = app.locator(".call-log tbody tr", { hasText: "UserService/ListUsers" }).first();
  await expect(call.locator(".status")).toHaveText("ok");
  await expect(call.locator(".messages")).toHaveText(String(DIRECTORY_USERS));
});

test("pages forward and back with the next-page token", async ({ app }) => {
  await signedIn(app, "pager");
  const rows = app.locator("table.directory tbody tr");
  const names = () => rows.locator("td:first-child").allTextContents();
  await expect(app.getByText("Page 1: 100 users.")).toBeVisible();
  const first = await names();
  expect(first).toHaveLength(100);
  await expect(app.getByRole("button", { name: "Previous page" })).toBeDisabled();

  await app.getByRole("button", { name: "Next page" }).click();
  await expect(app.getByText("Page 2: 100 users.")).toBeVisible();
  const second = await names();
  expect(second.filter((name) => first.includes(name))).toEqual([]);

  await app.getByRole("button", { name: "Previous page" }).click();
  await expect(app.getByText("Page 1: 100 users.")).toBeVisible();
  expect(await names()).toEqual(first);
});

test("Cancel stops the stream mid-way", async ({ app, context }) => {
  await signedIn(app, "canceller");
  await expect(app.getByText("Page 1: 100 users.")).toBeVisible();
  // A slow network, so the stream is still running when Cancel is clicked.
  const cdp = await context.newCDPSession(app);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: 8 * 1024,
    uploadThroughput: 64 * 1024,
  });
  await app.getByLabel("Page size").selectOption("1000");
  await expect(app.locator("table.directory tbody tr").first()).toBeVisible();
  await app.getByRole("button", { name: "Cancel", exact: true }).click();
  await expect(app.getByText(/Cancelled after \d+ users\./)).toBeVisible();
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  const count = Number(await app.locator("#received-count").textContent());
  expect(count).toBeGreaterThan(0);
  expect(count).toBeLessThan(1000);
  // No more rows arrive after Cancel.
  await app.waitForTimeout(500);
  await expect(app.locator("table.directory tbody tr")).toHaveCount(count);
  await expect(app.locator(".call-log tbody tr", { hasText: "UserService/ListUsers" }).first().locator(".status")).toHaveText("canceled");
});
