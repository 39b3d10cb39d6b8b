/**
 * Logs security-relevant refusals as structured lines: failed authentication
 * (including failed logins) and denied permissions. The lines carry who and
 * what, never credentials: no password, token or hash is in scope here.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { identityKey } from "../auth/identity.js";
import { peerAddressKey } from "../transport/peer.js";

const EVENTS = new Map<Code, string>([
  [Code.Unauthenticated, "unauthenticated"],
  [Code.PermissionDenied, "permission_denied"],
]);

export function createSecurityLogInterceptor(log: FastifyBaseLogger): Interceptor {
  return (next) => async (req) => {
    try {
      return await next(req);
    } catch (e) {
      const event = e instanceof ConnectError ? EVENTS.get(e.code) : undefined;
      if (event !== undefined) {
        log.warn(
          {
            event,
            rpc: `${req.service.typeName}/${req.method.name}`,
            peer: req.contextValues.get(peerAddressKey),
            userId: req.contextValues.get(identityKey)?.userId,
            reason: (e as ConnectError).rawMessage,
          },
          "call refused",
        );
      }
      throw e;
    }
  };
}
