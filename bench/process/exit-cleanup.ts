/**
 * Whatever happens to a bench run (an error, Ctrl-C, a SIGTERM from CI), the
 * servers and load generators it started are killed and its temporary files
 * removed. Cleanups are synchronous: on "exit" nothing asynchronous runs.
 */

type Cleanup = () => void;

const cleanups = new Set<Cleanup>();
let installed = false;

/** Runs `cleanup` when the process exits, unless it was disposed before. Returns the disposer. */
export function onExit(cleanup: Cleanup): () => void {
  installHooks();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function runCleanups(): void {
  // Latest first: children before the temporary folder they write into.
  for (const cleanup of [...cleanups].reverse()) {
    cleanups.delete(cleanup);
    try {
      cleanup();
    } catch {
      // One failed cleanup must not keep the others from running.
    }
  }
}

function installHooks(): void {
  if (installed) {
    return;
  }
  installed = true;
  process.once("exit", runCleanups);
  // A signal would end the process without "exit" handlers running.
  for (const [signal, number] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]] as const) {
    process.once(signal, () => {
      runCleanups();
      process.exit(128 + number);
    });
  }
}
