/** Development certificates made by scripts/certs.sh in a temporary folder. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DevCerts {
  readonly dir: string;
  /** Paths, as the server's TLS_* variables take them. */
  readonly paths: { readonly ca: string; readonly serverCert: string; readonly serverKey: string };
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
  remove(): void;
}

export function makeDevCerts(): DevCerts {
  const dir = mkdtempSync(join(tmpdir(), "dev-certs-"));
  const script = join(import.meta.dirname, "..", "..", "scripts", "certs.sh");
  execFileSync("bash", [script, dir], { stdio: "pipe" });
  const file = (name: string) => join(dir, name);
  return {
    dir,
    paths: { ca: file("ca.pem"), serverCert: file("server.pem"), serverKey: file("server.key") },
    ca: readFileSync(file("ca.pem")),
    clientCert: readFileSync(file("client.pem")),
    clientKey: readFileSync(file("client.key")),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
