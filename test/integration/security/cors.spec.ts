/**
 * CORS as browsers see it: preflights and actual calls from allowed and other
 * origins, with CORS_ORIGINS set to one origin, to "*", and unset.
 *
 * Requests are raw (node:http and node:http2), as a browser would send them:
 * a Connect client would not send Origin or preflights. Each check runs over
 * HTTP/1.1 and HTTP/2, which browsers both speak.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import http from "node:http";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetUserRequestSchema } from "../../../gen/user/v1/user_pb.js";
import { startServer, type TestServer } from "../../support/start-server.js";

const APP_ORIGIN = "https://app.example.com";
const REQUEST_TIMEOUT_MS = 5_000;

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
}

interface HttpVersion {
  readonly name: string;
  send(baseUrl: string, method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<RawResponse>;
}

const httpVersions: readonly HttpVersion[] = [
  {
    name: "HTTP/1.1",
    send: (baseUrl, method, path, headers, body) =>
      new Promise((resolve, reject) => {
        const req = http.request(`${baseUrl}${path}`, { method, headers, timeout: REQUEST_TIMEOUT_MS, agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve({ status: res.statusCode!, headers: flatten(res.headers) }));
          res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
        req.on("error", reject);
        req.end(body);
      }),
  },
  {
    name: "HTTP/2",
    send: (baseUrl, method, path, headers, body) =>
      new Promise((resolve, reject) => {
        const session = http2.connect(baseUrl);
        session.on("error", reject);
        const stream = session.request({ ":method": method, ":path": path, ...headers });
        stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
        let response: RawResponse | undefined;
        stream.on("response", (h) => {
          const { ":status": status, ...rest } = h;
          response = { status: Number(status), headers: flatten(rest) };
        });
        stream.resume();
        stream.on("end", () => {
          session.close();
          resolve(response!);
        });
        stream.on("error", (e) => {
          session.destroy();
          reject(e);
        });
        stream.end(body);
      }),
  },
];

function flatten(headers: http.IncomingHttpHeaders | http2.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      flat[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
    }
  }
  return flat;
}

/** The lower-cased entries of a comma-separated header. */
function listOf(headers: Record<string, string>, name: string): string[] {
  return (headers[name] ?? "").split(",").map((v) => v.trim().toLowerCase()).filter((v) => v !== "");
}

function corsHeadersOf(headers: Record<string, string>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith("access-control-"));
}

/** What a browser's Connect or gRPC-Web client sends on a call; what its preflight announces. */
const REQUESTED_HEADERS = ["content-type", "connect-protocol-version", "authorization", "x-grpc-web", "traceparent"];
/** Response headers the browser clients must read: the status of gRPC-Web calls and Connect's encodings. */
const CLIENT_READ_HEADERS = ["grpc-status", "grpc-message", "grpc-status-details-bin", "content-encoding", "connect-content-encoding"];

function preflight(version: HttpVersion, server: TestServer, origin: string): Promise<RawResponse> {
  return version.send(server.baseUrl, "OPTIONS", "/user.v1.UserService/GetUser", {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": REQUESTED_HEADERS.join(","),
  });
}

/** A call as a browser app makes it; `status` is the HTTP status it gets when allowed. */
interface BrowserCall {
  readonly name: string;
  readonly status: number;
  send(version: HttpVersion, server: TestServer, origin: string): Promise<RawResponse>;
}

function grpcWebFrame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

const browserCalls: readonly BrowserCall[] = [
  {
    name: "a Connect JSON GetUser",
    status: 200,
    send: async (version, server, origin) => {
      const id = randomUUID();
      const name = `c${id.slice(0, 8)}`;
      await server.store.create({ id, username: name, email: `${name}@example.com`, passwordHash: "unused", createdAt: 1, roles: ["user"] });
      return version.send(
        server.baseUrl,
        "POST",
        "/user.v1.UserService/GetUser",
        {
          origin,
          "content-type": "application/json",
          "connect-protocol-version": "1",
          authorization: `Bearer ${await server.adminToken()}`,
        },
        Buffer.from(JSON.stringify({ id })),
      );
    },
  },
  {
    name: "a Connect JSON GetUser without a token (an error)",
    status: 401,
    send: (version, server, origin) =>
      version.send(
        server.baseUrl,
        "POST",
        "/user.v1.UserService/GetUser",
        { origin, "content-type": "application/json", "connect-protocol-version": "1" },
        Buffer.from(JSON.stringify({ id: randomUUID() })),
      ),
  },
  {
    name: "a gRPC-Web GetUser without a token (an error in headers)",
    status: 200,
    send: (version, server, origin) =>
      version.send(
        server.baseUrl,
        "POST",
        "/user.v1.UserService/GetUser",
        { origin, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        grpcWebFrame(toBinary(GetUserRequestSchema, create(GetUserRequestSchema, { id: randomUUID() }))),
      ),
  },
];

for (const version of httpVersions) {
  describe(`CORS over ${version.name}`, { timeout: 30_000 }, () => {
    describe(`with CORS_ORIGINS=${APP_ORIGIN}`, () => {
      let server: TestServer;

      before(async () => {
        server = await startServer({ env: { CORS_ORIGINS: APP_ORIGIN } });
      });

      after(() => server.close());

      it("allows a preflight from that origin for POST with the headers Connect and gRPC-Web clients send", async () => {
        const res = await preflight(version, server, APP_ORIGIN);

        assert.equal(res.status, 204);
        assert.equal(res.headers["access-control-allow-origin"], APP_ORIGIN);
        assert.ok(listOf(res.headers, "access-control-allow-methods").includes("post"), res.headers["access-control-allow-methods"]);
        const allowed = listOf(res.headers, "access-control-allow-headers");
        for (const header of REQUESTED_HEADERS) {
          assert.ok(allowed.includes(header), `access-control-allow-headers lacks ${header}: ${allowed.join(", ")}`);
        }
        assert.equal(res.headers["access-control-max-age"], "7200");
        assert.ok(listOf(res.headers, "vary").includes("origin"), "caches must key preflights on the origin");
        assert.equal(res.headers["access-control-allow-credentials"], undefined, "bearer tokens need no credentials mode");
      });

      for (const call of browserCalls) {
        it(`lets ${call.name} from that origin be read, with the headers its client reads exposed`, async () => {
          const res = await call.send(version, server, APP_ORIGIN);

          assert.equal(res.status, call.status);
          assert.equal(res.headers["access-control-allow-origin"], APP_ORIGIN);
          const exposed = listOf(res.headers, "access-control-expose-headers");
          for (const header of [...CLIENT_READ_HEADERS, "retry-after"]) {
            assert.ok(exposed.includes(header), `access-control-expose-headers lacks ${header}: ${exposed.join(", ")}`);
          }
        });
      }

      const otherOrigins = [
        "https://evil.example.com",
        // Neither a prefix, a suffix nor another scheme of the allowed origin matches it.
        "https://app.example.com.evil.example",
        "https://evilapp.example.com",
        "http://app.example.com",
        "null",
      ];
      for (const origin of otherOrigins) {
        it(`gives origin ${origin} no access-control-allow-origin, on a preflight or a call`, async () => {
          const answers = [await preflight(version, server, origin), await browserCalls[0]!.send(version, server, origin)];

          for (const res of answers) {
            assert.equal(res.headers["access-control-allow-origin"], undefined);
          }
        });
      }
    });

    describe("with CORS_ORIGINS=*", () => {
      let server: TestServer;

      before(async () => {
        server = await startServer({ env: { CORS_ORIGINS: "*" } });
      });

      after(() => server.close());

      it("allows any origin with access-control-allow-origin: * and no credentials", async () => {
        const origin = "https://any.example.org";
        for (const res of [await preflight(version, server, origin), await browserCalls[0]!.send(version, server, origin)]) {
          assert.equal(res.headers["access-control-allow-origin"], "*");
          assert.equal(res.headers["access-control-allow-credentials"], undefined);
        }
      });
    });

    describe("without CORS_ORIGINS", () => {
      let server: TestServer;

      before(async () => {
        server = await startServer();
      });

      after(() => server.close());

      it("sends no CORS headers at all, on a preflight or on calls", async () => {
        const answers = [await preflight(version, server, APP_ORIGIN)];
        for (const call of browserCalls) {
          answers.push(await call.send(version, server, APP_ORIGIN));
        }

        for (const res of answers) {
          assert.deepEqual(corsHeadersOf(res.headers), []);
        }
      });
    });
  });
}
