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
 * Each refusal is also told to `onLimited` (the metrics count them by limit).
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

/** Told of each call a limit refused, with the limit that did. */
export type OnRateLimited = (method: DescMethod, limit: keyof RateLimits) => void;

export function createRateLimitInterceptor(
  limits: RateLimits,
  loginMethods: readonly DescMethod[],
  log: FastifyBaseLogger,
  unlimitedMethods: readonly DescMethod[] = [],
  onLimited?: OnRateLimited,
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
    const [limit, buckets, key]: [keyof RateLimits, TokenBuckets | undefined, string] = isLogin.has(req.method)
      ? ["login", login, req.contextValues.get(peerAddressKey)]
      : identity === undefined
        ? ["anonymous", anonymous, req.contextValues.get(peerAddressKey)]
        : ["user", users, identity.userId];
    const waitSeconds = buckets === undefined ? 0 : buckets.take(key);
    if (waitSeconds > 0) {
      onLimited?.(req.method, limit);
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
