/**
 * Ports for the servers under test, from the range kept for the bench
 * (9300-9399), so they never collide with a developer's server on 8080 or
 * other engineers' tests. A port is handed out once per run.
 */
import net from "node:net";

const FIRST_PORT = 9300;
const LAST_PORT = 9399;
const handedOut = new Set<number>();

export async function takeFreePort(): Promise<number> {
  for (let port = FIRST_PORT; port <= LAST_PORT; port++) {
    if (!handedOut.has(port) && (await isFree(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${FIRST_PORT}-${LAST_PORT} on 127.0.0.1`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", () => resolve(false));
    probe.listen({ host: "127.0.0.1", port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Resolves once something accepts connections on the port; rejects after `timeoutMs` or when `gone` settles. */
export async function waitForPort(port: number, timeoutMs: number, gone: Promise<unknown>): Promise<void> {
  let exited = false;
  void gone.then(
    () => (exited = true),
    () => (exited = true),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error("the process exited before it listened");
    }
    if (await accepts(port)) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
