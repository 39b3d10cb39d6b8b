/**
 * Composition root: config -> storage -> services -> server.
 */
import { createApp } from "./app.js";
import { closeOnSignals } from "./close-on-signals.js";
import { loadConfig } from "./config.js";
import { createHealthChecker } from "./health/health-checker.js";
import { openStore } from "./storage/open-store.js";

const config = loadConfig();
const health = createHealthChecker();
const app = await createApp({ config, store: openStore(config.storage), health });
// Before listening: a signal that comes as soon as the port is open (the
// "listening" log line) must already shut down gracefully.
closeOnSignals(app, health, config.shutdownDrainMs);
await app.listen({ host: config.host, port: config.port });
