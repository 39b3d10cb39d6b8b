/**
 * One port serves every protocol: HTTP/1.1 and h2c in plaintext (told apart
 * by the HTTP/2 connection preface), h2 and http/1.1 over TLS (told apart by ALPN).
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { makeDevCerts, type DevCerts } from "../support/dev-certs.js";
import { startServer, type TestServer } from "../support/start-server.js";

const LIST_USERS = "/user.v1.UserService/ListUsers";
/** An empty ListUsersRequest as a Connect streaming envelope: flags 0, length 2, "{}". */
const EMPTY_LIST_USERS_REQUEST = Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]);

/** A raw Connect unary GetUser with no id (400, invalid_argument), with `token` as the bearer token if given. */
function connectUnaryGetUser(token?: string): string {
  const authorization = token === undefined ? "" : `Authorization: Bearer ${token}\r\n`;
  return `POST /user.v1.UserService/GetUser HTTP/1.1\r\nHost: x\r\n${authorization}Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`;
}

/**
 * The end-of-stream message (flag 2) that closes a Connect streaming response,
 * which must be the body's last envelope: its JSON, e.g. {} or {"error": ...}.
 */
function connectEndOfStream(body: Buffer): { error?: { code?: string } } {
  let offset = 0;
  while (offset + 5 <= body.length) {
    const length = body.readUInt32BE(offset + 1);
    if (body[offset] === 2) {
      assert.equal(offset + 5 + length, body.length, "the end-of-stream message is the last");
      return JSON.parse(body.subarray(offset + 5, offset + 5 + length).toString("utf8")) as { error?: { code?: string } };
    }
    offset += 5 + length;
  }
  return assert.fail("no end-of-stream message");
}

/** Sends raw bytes, in the given pieces, and collects the reply until the server goes quiet. */
function exchange(port: number, pieces: (string | Buffer)[], quietMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      socket.destroy();
      resolve(reply);
    };
    socket.on("data", (chunk) => {
      reply += chunk.toString("latin1");
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(reply));
    socket.on("connect", async () => {
      for (const piece of pieces) {
        socket.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
      timer = setTimeout(finish, 2000);
    });
  });
}

function h2Request(client: http2.ClientHttp2Session, path: string, body: Buffer, contentType: string, token: string) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = client.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      authorization: `Bearer ${token}`,
    });
    const chunks: Buffer[] = [];
    let status = 0;
    req.on("response", (headers) => (status = Number(headers[":status"])));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(body);
  });
}

describe("one port in plaintext", { timeout: 30_000 }, () => {
  let server: TestServer;
  /** Every RPC but CreateUser needs a token. */
  let token: string;
  before(async () => {
    server = await startServer();
    token = await server.adminToken();
  });
  after(() => server.close());

  it("serves HTTP/1.1 that arrives a few bytes at a time", async () => {
    const reply = await exchange(server.port, ["P", "OS", "T /user.v1.UserService/GetUser HTTP/1.1\r\nHost: x\r\n",
      `Authorization: Bearer ${token}\r\n`, "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"]);
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /"code":"invalid_argument"/);
  });

  it("serves pipelined HTTP/1.1 requests on one connection", async () => {
    const reply = await exchange(server.port, [connectUnaryGetUser(token) + connectUnaryGetUser(token)]);
    assert.equal(reply.match(/HTTP\/1\.1 400 /g)?.length, 2);
  });

  it("answers an HTTP/1.1 request without a token with 401 and code unauthenticated", async () => {
    const reply = await exchange(server.port, [connectUnaryGetUser()]);
    assert.match(reply, /^HTTP\/1\.1 401 /);
    assert.match(reply, /"code":"unauthenticated"/);
  });

  it("serves h2c whose connection preface arrives split", async () => {
    // Node's client writes the preface at once; split it by hand.
    const reply = await exchange(server.port, [
      "PRI * HTTP/2.0\r\n",
      "\r\nSM\r\n\r\n",
      // An empty SETTINGS frame completes the client preface.
      Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
    ]);
    // The server's first frame is its own SETTINGS (type 4).
    assert.equal(reply.charCodeAt(3), 4);
  });

  it("answers HTTP/1.1 and h2c clients on the same port", async () => {
    const h1 = await fetch(`${server.baseUrl}${LIST_USERS}`, {
      method: "POST",
      headers: { "content-type": "application/connect+json", authorization: `Bearer ${token}` },
      body: EMPTY_LIST_USERS_REQUEST,
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(h1.status, 200);
    assert.deepEqual(connectEndOfStream(Buffer.from(await h1.arrayBuffer())), {}, "the stream ended without an error");
    const client = http2.connect(server.baseUrl);
    try {
      const h2 = await h2Request(client, LIST_USERS, EMPTY_LIST_USERS_REQUEST, "application/connect+json", token);
      assert.equal(h2.status, 200);
      // The end-of-stream frame (flag 2) with no error.
      assert.equal(h2.body[0], 2);
      assert.deepEqual(connectEndOfStream(h2.body), {});
    } finally {
      client.close();
    }
  });
});

describe("one port with TLS", { timeout: 30_000 }, () => {
  let server: TestServer;
  let certs: DevCerts;
  let ca: Buffer;
  let token: string;

  before(async () => {
    certs = makeDevCerts();
    ca = certs.ca;
    server = await startServer({ env: { TLS_CERT: certs.paths.serverCert, TLS_KEY: certs.paths.serverKey } });
    token = await server.adminToken();
  });
  after(async () => {
    await server?.close();
    certs?.remove();
  });

  it("negotiates h2 and http/1.1 with ALPN", async () => {
    for (const protocol of ["h2", "http/1.1"]) {
      const negotiated = await new Promise<string | false>((resolve, reject) => {
        const socket = tls.connect({ port: server.port, host: "127.0.0.1", ca, ALPNProtocols: [protocol] }, () => {
          resolve(socket.alpnProtocol ?? false);
          socket.destroy();
        });
        socket.on("error", reject);
      });
      assert.equal(negotiated, protocol);
    }
  });

  it("serves Connect over HTTPS/1.1 and gRPC-style HTTP/2 over TLS", async () => {
    const h1 = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
      const req = https.request(`https://127.0.0.1:${server.port}${LIST_USERS}`, {
        method: "POST", ca, headers: { "content-type": "application/connect+json", authorization: `Bearer ${token}` },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(EMPTY_LIST_USERS_REQUEST);
    });
    assert.equal(h1.status, 200);
    assert.deepEqual(connectEndOfStream(h1.body), {}, "the stream ended without an error");
    const client = http2.connect(`https://127.0.0.1:${server.port}`, { ca });
    try {
      const h2 = await h2Request(client, LIST_USERS, EMPTY_LIST_USERS_REQUEST, "application/connect+json", token);
      assert.equal(h2.status, 200);
      assert.deepEqual(connectEndOfStream(h2.body), {});
    } finally {
      client.close();
    }
  });
});
