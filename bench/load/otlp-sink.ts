/**
 * A stand-in OpenTelemetry collector: an HTTP server that accepts OTLP/HTTP
 * exports (protobuf or JSON) and counts them. A server with tracing on
 * exports here, so its tracing costs what it would in production (spans
 * built, batched, encoded, sent) and the bench can tell whether tracing is
 * on at all.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { onExit } from "../process/exit-cleanup.js";

export interface OtlpSink {
  /** http://127.0.0.1:PORT, for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly url: string;
  /** Export requests received so far. */
  exports(): number;
  close(): Promise<void>;
}

export async function startOtlpSink(): Promise<OtlpSink> {
  let exports = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      exports++;
      // An empty ExportTraceServiceResponse: "accepted, nothing rejected".
      const json = (req.headers["content-type"] ?? "").includes("json");
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
      res.end(json ? "{}" : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const dispose = onExit(() => server.close());
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exports: () => exports,
    close: () =>
      new Promise((resolve) => {
        dispose();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
