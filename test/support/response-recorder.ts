/**
 * Records everything a client was sent: response headers, messages and
 * trailers of every call, and the code, message, metadata and details of every
 * error, each as text labelled with its RPC. Raw HTTP answers (fetch) can be
 * added too. For tests that look for what must never leave the server.
 */
import { toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

export interface RecordedResponse {
  /** "user.v1.UserService/GetUser message", "auth.v1.AuthService/Login error", "fetch ..." */
  readonly where: string;
  readonly text: string;
}

export interface ResponseRecorder {
  /** A client interceptor that records what its calls receive. */
  readonly interceptor: Interceptor;
  /** Records a raw HTTP answer read outside a Connect client. */
  recordRaw(where: string, headers: Headers, body: string): void;
  readonly responses: readonly RecordedResponse[];
}

export function createResponseRecorder(): ResponseRecorder {
  const responses: RecordedResponse[] = [];
  const record = (where: string, text: string) => responses.push({ where, text });
  const recordHeaders = (where: string, headers: Headers) =>
    record(where, [...headers].map(([name, value]) => `${name}: ${value}`).join("\n"));
  const recordError = (rpc: string, e: unknown) => {
    const error = ConnectError.from(e);
    const details = error.details.map((d) =>
      "desc" in d ? JSON.stringify(d.value) : `${d.type} ${Buffer.from(d.value).toString("latin1")} ${JSON.stringify(d.debug)}`,
    );
    record(`${rpc} error`, [Code[error.code], error.rawMessage, ...details].join("\n"));
    recordHeaders(`${rpc} error metadata`, error.metadata);
  };

  const interceptor: Interceptor = (next) => async (req) => {
    const rpc = `${req.service.typeName}/${req.method.name}`;
    const output = req.method.output;
    let res: Awaited<ReturnType<typeof next>>;
    try {
      res = await next(req);
    } catch (e) {
      recordError(rpc, e);
      throw e;
    }
    recordHeaders(`${rpc} headers`, res.header);
    if (!res.stream) {
      record(`${rpc} message`, toJsonString(output, res.message));
      recordHeaders(`${rpc} trailers`, res.trailer);
      return res;
    }
    const messages = res.message;
    const trailer = res.trailer;
    async function* recorded() {
      try {
        for await (const message of messages) {
          record(`${rpc} message`, toJsonString(output, message));
          yield message;
        }
      } catch (e) {
        recordError(rpc, e);
        throw e;
      } finally {
        recordHeaders(`${rpc} trailers`, trailer);
      }
    }
    return { ...res, message: recorded() };
  };

  return {
    interceptor,
    recordRaw: (where, headers, body) => {
      recordHeaders(`${where} headers`, headers);
      record(`${where} body`, body);
    },
    responses,
  };
}
