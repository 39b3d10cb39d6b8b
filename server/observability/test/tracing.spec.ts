import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../../config.js";
import { createTracerProvider } from "../tracing.js";

const tracingOf = (env: Record<string, string | undefined>) => loadConfig(env).tracing;

describe("tracing configuration", () => {
  it("is off by default", () => {
    assert.deepEqual(tracingOf({}), { exporter: "none" });
  });

  it("exports over OTLP/HTTP to the traces path of OTEL_EXPORTER_OTLP_ENDPOINT, which turns it on", () => {
    assert.deepEqual(tracingOf({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }), {
      exporter: "otlp",
      serviceName: "user-service",
      url: "http://collector:4318/v1/traces",
    });
  });

  it("takes OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as the full URL, over the general endpoint", () => {
    const tracing = tracingOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example.com/in",
    });
    assert.equal(tracing.exporter === "otlp" && tracing.url, "https://traces.example.com/in");
  });

  it("sends to a local collector when asked for OTLP without an endpoint", () => {
    const tracing = tracingOf({ OTEL_TRACES_EXPORTER: "otlp" });
    assert.equal(tracing.exporter === "otlp" && tracing.url, "http://localhost:4318/v1/traces");
  });

  it("prints to the console, under OTEL_SERVICE_NAME", () => {
    assert.deepEqual(tracingOf({ OTEL_TRACES_EXPORTER: "console", OTEL_SERVICE_NAME: "users-eu" }), {
      exporter: "console",
      serviceName: "users-eu",
    });
  });

  it("stays off when OTEL_TRACES_EXPORTER says none, whatever the endpoint", () => {
    assert.deepEqual(tracingOf({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }), {
      exporter: "none",
    });
  });

  it("refuses exporters, protocols and endpoints it cannot use", () => {
    for (const env of [
      { OTEL_TRACES_EXPORTER: "zipkin" },
      { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      { OTEL_TRACES_EXPORTER: "otlp", OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf" },
      { OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" },
      { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://collector/v1/traces" },
    ]) {
      assert.throws(() => tracingOf(env), ConfigError, JSON.stringify(env));
    }
  });
});

describe("createTracerProvider", () => {
  it("makes none when tracing is off", () => {
    assert.equal(createTracerProvider({ exporter: "none" }), undefined);
  });
});
