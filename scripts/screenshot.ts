/**
 * Takes the README's picture of the web app (docs/web-app.png) from a running
 * server: `npm start`, then `npm run screenshot [base-url]`. It signs up a
 * user, imports a few more, and shows the directory with its call log.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { chromium } from "@playwright/test";
import { AuthService } from "../gen/auth/v1/auth_pb.js";
import { UserService } from "../gen/user/v1/user_pb.js";

const baseUrl = process.argv[2] ?? "http://localhost:8080";
const output = "docs/web-app.png";
const suffix = Date.now().toString(36).slice(-4);
const password = "correct horse battery";
const username = `ada_${suffix}`;

const anonymous = createGrpcTransport({ baseUrl });
await createClient(UserService, anonymous).createUser({ username, email: `${username}@example.com`, password });
const { accessToken } = await createClient(AuthService, anonymous).login({ username, password });
const users = createClient(UserService, createGrpcTransport({ baseUrl }));
async function* colleagues() {
  for (const name of ["grace", "edsger", "barbara", "donald", "margaret", "alan", "frances", "john"]) {
    yield { username: `${name}_${suffix}`, email: `${name}_${suffix}@example.com`, password };
  }
}
await users.createUsers(colleagues(), { headers: { authorization: `Bearer ${accessToken}` } });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.goto(`${baseUrl}/#/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByLabel("Page size").selectOption("25");
  await page.getByText(/^Page 1: /).waitFor();
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await browser.close();
}
