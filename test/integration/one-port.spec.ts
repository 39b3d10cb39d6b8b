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
const CONNECT_UNARY_GET_USER = "POST /user.v1.UserService/GetUser HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

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

function h2Request(client: http2.ClientHttp2Session, path: string, body: Buffer, contentType: string) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = client.request({ ":method": "POST", ":path": path, "content-type": contentType });
    const chunks: Buffer[] = [];
    let status = 0;
    req.on("response", (headers) => (status = Number(headers[":status"])));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    req.end(body);
  });
}

describe("one port in plaintext", () => {
  let server: TestServer;
  before(async () => (server = await startServer()));
  after(() => server.close());

  it("serves HTTP/1.1 that arrives a few bytes at a time", async () => {
    const reply = await exchange(server.port, ["P", "OS", "T /user.v1.UserService/GetUser HTTP/1.1\r\nHost: x\r\n",
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"]);
    assert.match(reply, /^HTTP\/1\.1 400 /);
    assert.match(reply, /"code":"invalid_argument"/);
  });

  it("serves pipelined HTTP/1.1 requests on one connection", async () => {
    const reply = await exchange(server.port, [CONNECT_UNARY_GET_USER + CONNECT_UNARY_GET_USER]);
    assert.equal(reply.match(/HTTP\/1\.1 400 /g)?.length, 2);
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
      headers: { "content-type": "application/connect+json" },
      body: Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]),
    });
    assert.equal(h1.status, 200);
    const client = http2.connect(server.baseUrl);
    try {
      const h2 = await h2Request(client, LIST_USERS, Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]), "application/connect+json");
      assert.equal(h2.status, 200);
      // The end-of-stream frame (flag 2) with no error.
      assert.equal(h2.body[0], 2);
    } finally {
      client.close();
    }
  });
});

describe("one port with TLS", () => {
  let server: TestServer;
  let certs: DevCerts;
  let ca: Buffer;

  before(async () => {
    certs = makeDevCerts();
    ca = certs.ca;
    server = await startServer({ env: { TLS_CERT: certs.paths.serverCert, TLS_KEY: certs.paths.serverKey } });
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
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`https://127.0.0.1:${server.port}${LIST_USERS}`, {
        method: "POST", ca, headers: { "content-type": "application/connect+json" },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]));
    });
    assert.equal(status, 200);
    const client = http2.connect(`https://127.0.0.1:${server.port}`, { ca });
    try {
      const h2 = await h2Request(client, LIST_USERS, Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]), "application/connect+json");
      assert.equal(h2.status, 200);
    } finally {
      client.close();
    }
  });
});
