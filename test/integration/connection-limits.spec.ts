/**
 * Per-connection limits: concurrent HTTP/2 streams and request header size.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "../support/start-server.js";

const GET_USER = "/user.v1.UserService/GetUser";

describe("connection limits", () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it("announces at most 100 concurrent streams per HTTP/2 connection", async () => {
    const client = http2.connect(server.baseUrl);
    try {
      await new Promise((resolve) => client.once("remoteSettings", resolve));
      assert.equal(client.remoteSettings.maxConcurrentStreams, 100);
    } finally {
      client.close();
    }
  });

  it("refuses HTTP/1.1 request headers over 16 KiB with 431 and keeps serving", async () => {
    const big = await fetch(`${server.baseUrl}${GET_USER}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-padding": "x".repeat(20_000) },
      body: "{}",
    }).then((r) => r.status, () => 431);
    assert.equal(big, 431);
    const normal = await fetch(`${server.baseUrl}${GET_USER}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(normal.status, 401, "the next request is served (and asks for a token)");
  });

  it("announces a 16 KiB header list limit on HTTP/2 and refuses requests with too many header fields", async () => {
    const client = http2.connect(server.baseUrl);
    try {
      await new Promise((resolve) => client.once("remoteSettings", resolve));
      assert.equal(client.remoteSettings.maxHeaderListSize, 16 * 1024);
      const outcome = await new Promise<string>((resolve) => {
        const headers: http2.OutgoingHttpHeaders = { ":method": "POST", ":path": GET_USER, "content-type": "application/grpc" };
        for (let i = 0; i < 200; i++) {
          headers[`x-field-${i}`] = "x";
        }
        const req = client.request(headers);
        req.on("response", (h) => resolve(`response ${h[":status"]}`));
        req.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        req.on("close", () => resolve(`closed ${req.rstCode}`));
        req.end();
      });
      assert.doesNotMatch(outcome, /^response/, `the request was answered: ${outcome}`);
    } finally {
      client.destroy();
    }
  });
});
