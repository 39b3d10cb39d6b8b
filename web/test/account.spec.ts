/** Signing up, logging in and out, and the errors on the way. */
import { expect, logIn, PASSWORD, signUp, test, uniqueName } from "./fixtures.js";

test("signs up, logs in and signs out", async ({ app }) => {
  const username = uniqueName("ada");
  await signUp(app, username);
  // Signing up leads to logging in, with the username filled in.
  await expect(app.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(app.getByLabel("Username")).toHaveValue(username);

  await logIn(app, username);
  await expect(app.getByRole("heading", { name: "Users" })).toBeVisible();

  await app.getByRole("button", { name: `Sign out ${username}` }).click();
  await expect(app.getByText("Signed out.")).toBeVisible();
  await expect(app.getByRole("link", { name: "Log in" })).toBeVisible();
  // Signed out, the directory asks to log in first.
  await app.goto("/#/users");
  await expect(app.getByRole("heading", { name: "Log in" })).toBeVisible();
  await expect(app.getByText("Log in to see that page.")).toBeVisible();
});

test("shows each validation error under the field it concerns", async ({ app }) => {
  await app.goto("/#/signup");
  await app.getByLabel("Username").fill("a");
  await app.getByLabel("Email").fill("not an email");
  await app.getByLabel("Password").fill("short");
  await app.getByRole("button", { name: "Create account" }).click();

  await expect(app.getByRole("alert")).toContainText("invalid_argument");
  await expect(app.locator("#signup-username-error")).toHaveText(/must be 3 to 32 characters/);
  await expect(app.locator("#signup-email-error")).toHaveText(/must be an email address/);
  await expect(app.locator("#signup-password-error")).toHaveText(/at least 8 characters/);
  for (const field of ["Username", "Email", "Password"]) {
    await expect(app.getByLabel(field)).toHaveAttribute("aria-invalid", "true");
  }
  // The first field in error takes the focus, and its error is its description.
  await expect(app.getByLabel("Username")).toBeFocused();
  await expect(app.getByLabel("Username")).toHaveAccessibleDescription(/must be 3 to 32 characters/);

  // Fixing one field clears its error on the next try.
  await app.getByLabel("Username").fill(uniqueName("fixed"));
  await app.getByRole("button", { name: "Create account" }).click();
  await expect(app.locator("#signup-username-error")).toBeEmpty();
  await expect(app.locator("#signup-email-error")).toHaveText(/must be an email address/);
});

test("a taken username and a wrong password are shown with their codes", async ({ app }) => {
  const username = uniqueName("taken");
  await signUp(app, username);

  await app.goto("/#/signup");
  await app.getByLabel("Username").fill(username.toUpperCase());
  await app.getByLabel("Email").fill(`other_${username}@example.com`);
  await app.getByLabel("Password").fill(PASSWORD);
  await app.getByRole("button", { name: "Create account" }).click();
  await expect(app.getByRole("alert")).toContainText("already_exists");

  await app.goto("/#/login");
  await app.getByLabel("Username").fill(username);
  await app.getByLabel("Password").fill("not the password");
  await app.getByRole("button", { name: "Log in" }).click();
  await expect(app.getByRole("alert")).toContainText("unauthenticated: invalid username or password");
});

test("works from the keyboard alone", async ({ app }) => {
  const username = uniqueName("keys");
  await signUp(app, username);
  await app.goto("/#/login");
  // Arriving on a screen focuses its heading; the form follows in tab order.
  await expect(app.getByRole("heading", { name: "Log in" })).toBeFocused();
  await app.keyboard.press("Tab");
  await expect(app.getByLabel("Username")).toBeFocused();
  await app.keyboard.type(username);
  await app.keyboard.press("Tab");
  await expect(app.getByLabel("Password")).toBeFocused();
  await app.keyboard.type(PASSWORD);
  await app.keyboard.press("Enter");
  await expect(app.getByRole("heading", { name: "Users" })).toBeFocused();
});
