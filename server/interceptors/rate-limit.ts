/**
 * Rate limits: a token bucket per signed-in user, and per client address for
 * calls made without a token; Login has its own, strict buckets per address
 * against password guessing. Over the limit: RESOURCE_EXHAUSTED with a
 * retry-after header (seconds).
 *
 * Methods listed as unlimited skip the buckets: health checks, which read
 * state the server keeps at hand (cheaper than the limit's own bookkeeping),
 * and which a load balancer must never see fail because it checks often.
 *
 * Runs after the auth interceptor, which provides the identity.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { FastifyBaseLogger } from "fastify";
import { identityKey } from "../auth/identity.js";
import { TokenBuckets, type Rate } from "../limits/token-buckets.js";
import { peerAddressKey } from "../transport/peer.js";

export interface RateLimits {
  /** Login calls per client address; undefined turns the limit off. */
  readonly login: Rate | undefined;
  /** Calls without a token (sign-up) per client address. */
  readonly anonymous: Rate | undefined;
  /** Calls per signed-in user. */
  readonly user: Rate | undefined;
}

export function createRateLimitInterceptor(
  limits: RateLimits,
  loginMethods: readonly DescMethod[],
  log: FastifyBaseLogger,
  unlimitedMethods: readonly DescMethod[] = [],
): Interceptor {
  const isLogin = new Set(loginMethods);
  const isUnlimited = new Set(unlimitedMethods);
  const login = limits.login && new TokenBuckets(limits.login);
  const anonymous = limits.anonymous && new TokenBuckets(limits.anonymous);
  const users = limits.user && new TokenBuckets(limits.user);

  return (next) => async (req) => {
    if (isUnlimited.has(req.method)) {
      return next(req);
    }
    const identity = req.contextValues.get(identityKey);
    const [buckets, key] = isLogin.has(req.method)
      ? [login, req.contextValues.get(peerAddressKey)]
      : identity === undefined
        ? [anonymous, req.contextValues.get(peerAddressKey)]
        : [users, identity.userId];
    const waitSeconds = buckets === undefined ? 0 : buckets.take(key);
    if (waitSeconds > 0) {
      const retryAfter = String(Math.ceil(waitSeconds));
      log.warn(
        { event: "rate_limited", rpc: `${req.service.typeName}/${req.method.name}`, peer: req.contextValues.get(peerAddressKey), userId: identity?.userId },
        "call rate-limited",
      );
      throw new ConnectError(
        `too many calls: retry in ${retryAfter} s`,
        Code.ResourceExhausted,
        { "retry-after": retryAfter },
      );
    }
    return next(req);
  };
}
