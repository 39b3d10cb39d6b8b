/**
 * Access tokens: JWTs signed with one pinned algorithm (HS256 or ES256).
 *
 * Verification accepts only that algorithm (so no `alg: none` and no HS/ES
 * confusion) and checks exp, nbf, iss and aud with a small clock tolerance.
 * Verified tokens are cached until they expire, so a client that sends the
 * same token on every call pays for the signature check once.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { errors, jwtVerify, SignJWT, type CryptoKey, type JWTPayload, type KeyObject } from "jose";
import type { Identity } from "./identity.js";

export type SigningKey =
  | { readonly algorithm: "HS256"; readonly secret: Uint8Array }
  | { readonly algorithm: "ES256"; readonly privateKey: CryptoKey | KeyObject; readonly publicKey: CryptoKey | KeyObject };

export interface TokenOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
}

export interface IssuedToken {
  readonly accessToken: string;
  /** Unix seconds. */
  readonly expiresAt: number;
}

export interface Tokens {
  issue(identity: Identity): Promise<IssuedToken>;
  /** Throws UNAUTHENTICATED saying what is wrong with the token. */
  verify(token: string): Promise<Identity>;
}

/** Tolerated clock difference between token issuers and this server. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Verified tokens remembered at most; the oldest are forgotten first. */
const CACHE_SIZE = 10_000;

export function createTokens(key: SigningKey, options: TokenOptions): Tokens {
  const signingKey = key.algorithm === "HS256" ? key.secret : key.privateKey;
  const verifyingKey = key.algorithm === "HS256" ? key.secret : key.publicKey;
  const verifyOptions = {
    algorithms: [key.algorithm],
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    requiredClaims: ["sub", "exp", "iat"],
  };
  const verified = new Map<string, { identity: Identity; expiresAt: number }>();

  return {
    async issue(identity) {
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = now + options.lifetimeSeconds;
      const accessToken = await new SignJWT({ roles: [...identity.roles] })
        .setProtectedHeader({ alg: key.algorithm, typ: "JWT" })
        .setSubject(identity.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(expiresAt)
        .sign(signingKey);
      return { accessToken, expiresAt };
    },

    async verify(token) {
      const cached = verified.get(token);
      if (cached !== undefined && cached.expiresAt + CLOCK_TOLERANCE_SECONDS > Date.now() / 1000) {
        return cached.identity;
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, verifyingKey, verifyOptions));
      } catch (e) {
        throw unauthenticated(describeFailure(e));
      }
      const identity = toIdentity(payload);
      if (verified.size >= CACHE_SIZE) {
        verified.delete(verified.keys().next().value!);
      }
      verified.set(token, { identity, expiresAt: payload.exp! });
      return identity;
    },
  };
}

function toIdentity(payload: JWTPayload): Identity {
  const roles = payload.roles;
  if (
    typeof payload.sub !== "string" ||
    !Array.isArray(roles) ||
    !roles.every((role): role is string => typeof role === "string")
  ) {
    throw unauthenticated("token claims are malformed: log in again");
  }
  return { userId: payload.sub, roles };
}

function describeFailure(e: unknown): string {
  if (e instanceof errors.JWTExpired) {
    return "token expired: log in again";
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) {
    return "token signature is invalid";
  }
  if (e instanceof errors.JOSEAlgNotAllowed) {
    return "token algorithm is not accepted";
  }
  if (e instanceof errors.JWTClaimValidationFailed) {
    return `token claim "${e.claim}" is invalid: ${e.reason === "missing" ? "missing" : e.message}`;
  }
  return "token is malformed: send the access_token from auth.v1.AuthService/Login";
}

export function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}
