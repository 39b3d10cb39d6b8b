/**
 * Authentication: every method but the public ones needs
 * `authorization: Bearer <access token>` (an HTTP header, or gRPC metadata,
 * which travels as one). The verified identity goes into the handler context.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { identityKey } from "../auth/identity.js";
import { unauthenticated, type Tokens } from "../auth/tokens.js";

const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

export function createAuthInterceptor(tokens: Tokens, publicMethods: readonly DescMethod[]): Interceptor {
  const isPublic = new Set(publicMethods);
  return (next) => async (req) => {
    if (!isPublic.has(req.method)) {
      req.contextValues.set(identityKey, await tokens.verify(bearerToken(req.header.get("authorization"))));
    }
    return next(req);
  };
}

function bearerToken(header: string | null): string {
  if (header === null || header === "") {
    throw unauthenticated(
      "missing access token: send 'authorization: Bearer <token>' with a token from auth.v1.AuthService/Login",
    );
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw unauthenticated("malformed authorization header: expected 'Bearer <token>'");
  }
  return token;
}
