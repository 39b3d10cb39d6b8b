/**
 * End-to-end tests of the web app in a real Chromium against the real
 * server, once per browser transport (the projects below). Debian's
 * Chromium is used (scripts/ensure-command.sh installs it): Playwright
 * cannot download its own browsers here.
 *
 * The server runs with an in-memory store, cheap password hashing and no
 * rate limits, and logs to a file that tests read (web/test/server-log.ts).
 */
import { defineConfig } from "@playwright/test";
import type { TransportOption } from "./web/test/fixtures.js";
import { E2E_PORT, serverLogPath } from "./web/test/server-log.js";

const baseURL = `http://127.0.0.1:${E2E_PORT}`;

export default defineConfig<TransportOption>({
  testDir: "web/test",
  outputDir: "test-results",
  // One browser at a time: two cores serve Chromium, the server and the runner.
  workers: 1,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  forbidOnly: Boolean(process.env.CI),
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  globalSetup: "./web/test/global-setup.ts",
  use: {
    baseURL,
    // Kept for failed tests only: open with `npx playwright show-trace test-results/…/trace.zip`.
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // No sandbox as root in CI; nothing may reach out of the machine.
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    },
  },
  projects: [
    { name: "connect-json", use: { transport: "connect-json" } },
    { name: "connect-binary", use: { transport: "connect-binary" } },
    { name: "grpc-web", use: { transport: "grpc-web" } },
  ],
  webServer: {
    command: `npm run --silent build:web && exec node --import tsx server/main.ts > "${serverLogPath}" 2>&1`,
    url: `${baseURL}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
    env: {
      HOST: "127.0.0.1",
      PORT: String(E2E_PORT),
      STORAGE: "memory",
      PASSWORD_HASH_COST: "10",
      JWT_SECRET: "e2e-secret-that-is-at-least-32-bytes-long",
      RATE_LIMIT_LOGIN: "off",
      RATE_LIMIT_ANONYMOUS: "off",
      RATE_LIMIT_USER: "off",
      SHUTDOWN_GRACE_MS: "1000",
      LOG_LEVEL: "info",
    },
  },
});
