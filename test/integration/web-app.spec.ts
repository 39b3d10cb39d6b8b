/**
 * The server serves the browser app's build at `/` beside the RPCs: the page
 * revalidated, hashed assets cached for good, both under a content security
 * policy that keeps the page on its own origin.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogCapture } from "../support/log-capture.js";
import { startServer, type TestServer } from "../support/start-server.js";

describe("web app", () => {
  let build: string;
  let server: TestServer;
  before(async () => {
    build = await mkdtemp(join(tmpdir(), "web-build-"));
    await mkdir(join(build, "assets"));
    await writeFile(join(build, "index.html"), '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>');
    await writeFile(join(build, "assets", "index-abc123.js"), "console.log('app');");
    server = await startServer({ env: { WEB_ROOT: build } });
  });
  after(async () => {
    await server.close();
    await rm(build, { recursive: true, force: true });
  });

  it("serves the page at / for revalidation, under a same-origin content security policy", async () => {
    const res = await fetch(`${server.baseUrl}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'; connect-src 'self'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.match(await res.text(), /index-abc123\.js/);
  });

  it("serves hashed assets as immutable", async () => {
    const res = await fetch(`${server.baseUrl}/assets/index-abc123.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /javascript/);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
  });

  it("answers other paths as before: RPC routes work, unknown paths are 404", async () => {
    const rpc = await fetch(`${server.baseUrl}/user.v1.UserService/CreateUser`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "web_app_user", email: "web_app_user@example.com", password: "correct horse" }),
    });
    assert.equal(rpc.status, 200);
    assert.equal((await fetch(`${server.baseUrl}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/../package.json`)).status, 404);
  });

  it("serves no app when WEB_ROOT is off, and warns when the build is missing", async () => {
    const off = await startServer({ env: { WEB_ROOT: "off" } });
    const log = createLogCapture();
    const unbuilt = await startServer({ env: { WEB_ROOT: join(build, "nothing-here"), LOG_LEVEL: "warn" }, logStream: log.stream });
    try {
      assert.equal((await fetch(`${off.baseUrl}/`)).status, 404);
      assert.equal((await fetch(`${unbuilt.baseUrl}/`)).status, 404);
      assert.ok(log.records().some((r) => String(r.msg).includes("npm run build:web")));
    } finally {
      await off.close();
      await unbuilt.close();
    }
  });
});
