import assert from "node:assert/strict";
import { describe, it } from "node:test";
import Fastify from "fastify";
import { Counter, Registry } from "prom-client";
import { metricsEndpoint } from "../metrics-endpoint.js";

const TOKEN = "a-scrape-token-long-enough";

async function createScrapedApp(token?: string) {
  const registry = new Registry();
  new Counter({ name: "things_total", help: "Things.", registers: [registry] }).inc(3);
  const app = Fastify();
  await app.register(metricsEndpoint, { registry, token });
  return app;
}

describe("metrics endpoint", () => {
  it("serves the registry in the Prometheus text format, uncached", async () => {
    const app = await createScrapedApp();
    const res = await app.inject({ method: "GET", url: "/metrics" });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(res.headers["cache-control"], "no-store");
    assert.match(res.body, /^# HELP things_total Things\.\n# TYPE things_total counter\nthings_total 3$/m);
  });

  it("with a token, answers 401 without the right bearer token", async () => {
    const app = await createScrapedApp(TOKEN);
    for (const authorization of [undefined, "", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(1)}`, `Basic ${TOKEN}`, TOKEN, "Bearer "]) {
      const res = await app.inject({ method: "GET", url: "/metrics", headers: authorization === undefined ? {} : { authorization } });
      assert.equal(res.statusCode, 401, String(authorization));
      assert.equal(res.headers["www-authenticate"], 'Bearer realm="metrics"');
      assert.equal(res.json().code, "unauthenticated");
      assert.doesNotMatch(res.body, /things_total/);
    }
  });

  it("with a token, serves its bearer (the scheme in any case)", async () => {
    const app = await createScrapedApp(TOKEN);
    for (const authorization of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `Bearer  ${TOKEN} `]) {
      const res = await app.inject({ method: "GET", url: "/metrics", headers: { authorization } });
      assert.equal(res.statusCode, 200, authorization);
      assert.match(res.body, /^things_total 3$/m);
    }
  });

  it("given a port, serves nothing on the app's own", async () => {
    const app = Fastify();
    await app.register(metricsEndpoint, { registry: new Registry(), token: undefined, port: 1, host: "127.0.0.1" });
    // Not ready: the separate port opens only when the app is.
    assert.equal(app.hasRoute({ method: "GET", url: "/metrics" }), false);
  });
});
