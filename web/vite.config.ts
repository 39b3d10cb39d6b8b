/**
 * Builds the browser app into web/dist, which the server serves at `/`
 * (`npm start` builds first). `npm run dev` serves it with hot reload and
 * forwards RPCs to a server already running on API_URL, so the page and its
 * calls share one origin as they do in production.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const apiUrl = process.env.API_URL ?? "http://localhost:8080";
const RPC_PATH_PREFIXES = ["/user.v1.UserService/", "/auth.v1.AuthService/"];
const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // Browsers from the last few years; no legacy bundle to keep it small.
    target: "es2022",
  },
  server: {
    // The generated clients live in gen/, outside web/.
    fs: { allow: [repoRoot] },
    // RPC paths start with their service's full name.
    proxy: Object.fromEntries(RPC_PATH_PREFIXES.map((prefix) => [prefix, { target: apiUrl }])),
  },
});
