import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../config.js";

describe("config: metrics", () => {
  it("serves /metrics on the main port to anyone by default", () => {
    assert.deepEqual(loadConfig({}).metrics, { token: undefined, port: undefined, host: "0.0.0.0" });
  });

  it("takes a token, and a port of its own on HOST or METRICS_HOST", () => {
    const token = "0123456789abcdef";
    assert.deepEqual(loadConfig({ METRICS_TOKEN: token, METRICS_PORT: "9464", HOST: "127.0.0.1" }).metrics, {
      token,
      port: 9464,
      host: "127.0.0.1",
    });
    assert.equal(loadConfig({ METRICS_PORT: "9464", METRICS_HOST: "10.0.0.5" }).metrics?.host, "10.0.0.5");
  });

  it("keeps no metrics with METRICS=off", () => {
    assert.equal(loadConfig({ METRICS: "off" }).metrics, undefined);
    assert.throws(() => loadConfig({ METRICS: "maybe" }), ConfigError);
  });

  it("refuses a short token, or one with spaces", () => {
    for (const token of ["short", "sixteen chars ok"]) {
      assert.throws(() => loadConfig({ METRICS_TOKEN: token }), ConfigError, token);
    }
  });

  it("refuses METRICS_PORT equal to PORT, or out of range", () => {
    assert.throws(() => loadConfig({ PORT: "9000", METRICS_PORT: "9000" }), /METRICS_PORT must differ from PORT/);
    assert.throws(() => loadConfig({ METRICS_PORT: "70000" }), /METRICS_PORT must be an integer from 1 to 65535/);
    assert.throws(() => loadConfig({ METRICS_PORT: "0" }), ConfigError);
  });
});
