/**
 * Composition root: config -> storage -> services -> server.
 */
import { createApp } from "./app.js";
import { loadConfig } from "./config.js";
import { openStore } from "./storage/open-store.js";

const config = loadConfig();
const app = await createApp({ config, store: openStore(config.storage) });
await app.listen({ host: config.host, port: config.port });

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, "shutting down");
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  });
}
