/**
 * Sends the signed-in user's access token with every call. When the server
 * answers UNAUTHENTICATED to a call that carried a token (it expired, or the
 * server's key changed), the session is over: `onSessionEnded` sends the
 * user back to log in. Calls made without a token (logging in with a wrong
 * password) just fail, for their screen to show.
 */
import { Code, type Interceptor } from "@connectrpc/connect";
import type { Session } from "../session.js";
import { observeCalls } from "./observe-calls.js";

export function createBearerTokenInterceptor(session: Session, onSessionEnded: () => void): Interceptor {
  return observeCalls((req) => {
    const token = session.user?.token;
    if (token === undefined) {
      return { end() {} };
    }
    req.header.set("authorization", `Bearer ${token}`);
    return {
      end(error) {
        if (error?.code === Code.Unauthenticated) {
          onSessionEnded();
        }
      },
    };
  });
}
