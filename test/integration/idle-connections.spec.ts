/**
 * Silent HTTP/2 connections are probed with a PING: a peer that answers keeps
 * its connection, one that vanished without closing TCP loses it.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startServer, type TestServer } from "../support/start-server.js";

const PROBE_MS = 200;
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);

describe("idle HTTP/2 connections", () => {
  let server: TestServer;
  before(async () => (server = await startServer({ env: { IDLE_PROBE_MS: String(PROBE_MS) } })));
  after(() => server.close());

  it("closes a connection whose peer does not answer the PING", async () => {
    const socket = net.connect(server.port, "127.0.0.1");
    // A client that completes the preface, then never reads or answers again.
    socket.write(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      socket.on("close", () => resolve());
      socket.on("error", () => {});
      // Read (and drop) what the server sends, so its closing is seen.
      socket.resume();
      setTimeout(() => reject(new Error("the server kept a dead connection open")), 5_000).unref();
    });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= PROBE_MS, `closed after ${elapsed} ms, before the connection was idle`);
  });

  it("keeps a quiet connection whose peer answers", async () => {
    const client = http2.connect(server.baseUrl);
    let closed = false;
    client.on("close", () => (closed = true));
    await new Promise((resolve) => client.once("connect", resolve));
    await sleep(PROBE_MS * 6);
    assert.equal(closed, false, "a live client lost its connection");
    client.close();
  });
});
