/**
 * With TLS_CLIENT_CA set, only clients with a certificate from that CA get in:
 * over gRPC (grpc-js and connect-node) and over HTTPS/1.1 (Connect).
 */
import assert from "node:assert/strict";
import https from "node:https";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { UserService } from "../../gen/user/v1/user_pb.js";
import { makeDevCerts, type DevCerts } from "../support/dev-certs.js";
import { bearer, startServer, type TestServer } from "../support/start-server.js";

const GET_USER = "/user.v1.UserService/GetUser";
const UNKNOWN_ID = "0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31";

/**
 * A unary GetUser over grpc-js with raw bytes, with `token` as the bearer
 * token when given: the answer's status code.
 */
function grpcJsGetUser(port: number, credentials: grpc.ChannelCredentials, token?: string): Promise<grpc.status> {
  const client = new grpc.Client(`localhost:${port}`, credentials);
  const metadata = new grpc.Metadata();
  if (token !== undefined) {
    metadata.set("authorization", `Bearer ${token}`);
  }
  return new Promise<grpc.status>((resolve) => {
    client.makeUnaryRequest(
      GET_USER,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      Buffer.from([0x0a, UNKNOWN_ID.length, ...Buffer.from(UNKNOWN_ID)]),
      metadata,
      { deadline: Date.now() + 5_000 },
      (err) => resolve(err?.code ?? grpc.status.OK),
    );
  }).finally(() => client.close());
}

describe("mTLS", { timeout: 30_000 }, () => {
  let server: TestServer;
  let certs: DevCerts;
  /** A client certificate gets a client in; every RPC but CreateUser still needs a token. */
  let token: string;

  before(async () => {
    certs = makeDevCerts();
    server = await startServer({
      env: { TLS_CERT: certs.paths.serverCert, TLS_KEY: certs.paths.serverKey, TLS_CLIENT_CA: certs.paths.ca },
    });
    token = await server.adminToken();
  });
  after(async () => {
    await server?.close();
    certs?.remove();
  });

  it("lets a grpc-js client with the dev client certificate call", async () => {
    const code = await grpcJsGetUser(
      server.port,
      grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert),
      token,
    );
    assert.equal(code, grpc.status.NOT_FOUND, "the call reached the service");
  });

  it("still wants a token from a grpc-js client with the dev client certificate", async () => {
    const code = await grpcJsGetUser(server.port, grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert));
    assert.equal(code, grpc.status.UNAUTHENTICATED, "a client certificate is no sign-in");
  });

  it("refuses a grpc-js client without a client certificate", async () => {
    const code = await grpcJsGetUser(server.port, grpc.credentials.createSsl(certs.ca), token);
    assert.equal(code, grpc.status.UNAVAILABLE, "the TLS handshake failed");
  });

  it("lets a connect-node gRPC client with the client certificate call, and refuses one without", async () => {
    const baseUrl = `https://localhost:${server.port}`;
    const withCert = createClient(
      UserService,
      createGrpcTransport({
        baseUrl,
        nodeOptions: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey },
        interceptors: [bearer(token)],
      }),
    );
    await assert.rejects(
      withCert.getUser({ id: UNKNOWN_ID }, { timeoutMs: 5_000 }),
      (e: unknown) => ConnectError.from(e).code === Code.NotFound,
    );
    const without = createClient(
      UserService,
      createGrpcTransport({ baseUrl, nodeOptions: { ca: certs.ca }, interceptors: [bearer(token)] }),
    );
    await assert.rejects(without.getUser({ id: UNKNOWN_ID }, { timeoutMs: 5_000 }), (e: unknown) =>
      [Code.Unavailable, Code.Unknown, Code.Internal].includes(ConnectError.from(e).code),
    );
  });

  it("refuses an HTTPS/1.1 client without a certificate during the handshake", async () => {
    const error = await new Promise<Error | undefined>((resolve) => {
      const req = https.request(
        `https://localhost:${server.port}${GET_USER}`,
        {
          method: "POST",
          ca: certs.ca,
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        },
        (res) => {
          res.resume();
          resolve(undefined);
        },
      );
      req.on("error", resolve);
      req.end("{}");
    });
    assert.ok(error, "the request should have failed");
  });

  it("refuses TLS older than 1.2", async () => {
    const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const socket = tls.connect({
        port: server.port,
        host: "127.0.0.1",
        ca: certs.ca,
        cert: certs.clientCert,
        key: certs.clientKey,
        minVersion: "TLSv1",
        maxVersion: "TLSv1.1",
        // Lets this client offer TLS 1.1 at all, so the refusal is the server's.
        ciphers: "DEFAULT@SECLEVEL=0",
      });
      socket.on("secureConnect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on("error", resolve);
    });
    assert.equal(error?.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
  });
});
