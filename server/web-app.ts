/**
 * Serves the browser app's production build (web/dist, made by `npm run
 * build:web`) at `/`, on the same port and origin as the RPCs it calls.
 *
 * The file list is read once at start (no catch-all route beside the RPC
 * routes). Vite names assets by content hash, so they are cached for good;
 * index.html is revalidated so a new build is picked up. The content
 * security policy lets the page load and call only its own origin.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export async function registerWebApp(app: FastifyInstance, root: string | undefined): Promise<void> {
  if (root === undefined) {
    return;
  }
  if (!existsSync(join(root, "index.html"))) {
    app.log.warn({ root }, "the web app is not built, so / serves nothing: run `npm run build:web`");
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: false,
    // Ours, per file, from setHeaders below.
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader("cache-control", path.includes("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
      res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
      res.setHeader("x-content-type-options", "nosniff");
      res.setHeader("referrer-policy", "no-referrer");
    },
  });
}
