/**
 * A client interceptor that sends the access token as
 * `authorization: Bearer <token>` metadata on every call. It reads the token
 * per call, so one client serves before login (no token: sign-up, login) and
 * after it. Retries reuse the metadata of the first attempt.
 */
import * as grpc from "@grpc/grpc-js";

export function bearerInterceptor(currentToken: () => string | undefined): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        const token = currentToken();
        if (token !== undefined) {
          metadata.set("authorization", `Bearer ${token}`);
        }
        next(metadata, listener);
      },
    });
}
