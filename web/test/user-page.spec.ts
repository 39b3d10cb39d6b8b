/** A user's page: editing and deleting, and what others may not do. */
import { expect, signedIn, test, uniqueName } from "./fixtures.js";
import { nativeUser } from "./native-client.js";

test("edits and then deletes the signed-in user's own account", async ({ app }) => {
  const username = await signedIn(app, "owner");
  await app.getByRole("link", { name: "My account" }).click();
  await expect(app.getByRole("heading", { name: username })).toBeVisible();

  const renamed = uniqueName("renamed");
  await app.getByLabel("Username").fill(renamed);
  await app.getByLabel("Email").fill(`${renamed}@example.com`);
  await app.getByRole("button", { name: "Save changes" }).click();
  await expect(app.getByText(`Saved ${renamed}.`)).toBeVisible();
  await expect(app.getByRole("heading", { name: renamed })).toBeVisible();
  await expect(app.locator(".details")).toContainText(`${renamed}@example.com`);

  // A rule broken on edit shows under its field, as on sign-up.
  await app.getByLabel("Email").fill("nope");
  await app.getByRole("button", { name: "Save changes" }).click();
  await expect(app.locator("#edit-email-error")).toHaveText(/must be an email address/);

  await app.getByRole("button", { name: "Delete account…" }).click();
  await app.getByRole("button", { name: `Delete ${renamed}` }).click();
  await expect(app.getByText(`Account ${renamed} deleted.`)).toBeVisible();
  await expect(app.getByRole("heading", { name: "Log in" })).toBeVisible();
});

test("shows permission errors when editing or deleting someone else", async ({ app, baseURL }) => {
  const other = await nativeUser(baseURL!, "other");
  await signedIn(app, "intruder");
  await app.goto(`/#/users/${other.id}`);
  await expect(app.getByRole("heading", { name: other.username })).toBeVisible();
  // Only its owner and admins see an account's email.
  await expect(app.locator(".details")).toContainText("hidden");

  await app.getByLabel("Username").fill(uniqueName("hijacked"));
  await app.getByRole("button", { name: "Save changes" }).click();
  await expect(app.getByRole("alert")).toContainText("permission_denied: only the account's owner or an admin may update it");

  await app.getByRole("button", { name: "Delete account…" }).click();
  await app.getByRole("button", { name: `Delete ${other.username}` }).click();
  await expect(app.getByRole("alert").last()).toContainText("permission_denied: only the account's owner or an admin may delete it");

  // Nothing changed on the server.
  const unchanged = await other.client.getUser({ id: other.id });
  expect(unchanged.username).toBe(other.username);
});

test("an unknown user id is shown as not found", async ({ app }) => {
  await signedIn(app, "seeker");
  await app.goto("/#/users/00000000-0000-4000-8000-000000000000");
  await expect(app.getByRole("alert")).toContainText("not_found");
});
