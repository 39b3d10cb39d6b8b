/**
 * The key that signs access tokens, loaded once at start.
 *
 * HS256 uses JWT_SECRET, or else a random secret generated at first start and
 * kept in the data folder (0600), so tokens survive restarts without set-up.
 * ES256 uses a P-256 private key file, whose public half verifies.
 */
import { randomBytes } from "node:crypto";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type JwtConfig } from "../config.js";
import type { SigningKey } from "./tokens.js";

/** HS256 keys shorter than the hash output weaken it (RFC 7518, 3.2). */
const MIN_SECRET_BYTES = 32;
const SECRET_FILE = "jwt-secret";

export function loadSigningKey(config: JwtConfig, dataDir: string): SigningKey {
  if (config.algorithm === "ES256") {
    return loadEs256Key(config.privateKeyFile);
  }
  const secret = config.secret === undefined ? readOrCreateSecret(dataDir) : Buffer.from(config.secret, "utf8");
  if (secret.length < MIN_SECRET_BYTES) {
    throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return { algorithm: "HS256", secret };
}

function loadEs256Key(file: string | undefined): SigningKey {
  if (file === undefined) {
    throw new ConfigError("JWT_ALGORITHM=ES256 needs JWT_PRIVATE_KEY_FILE (a PEM P-256 private key)");
  }
  const privateKey = createPrivateKey(readFileSync(file));
  if (privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new ConfigError(`${file} must hold a P-256 (prime256v1) EC private key for ES256`);
  }
  return { algorithm: "ES256", privateKey, publicKey: createPublicKey(privateKey) };
}

function readOrCreateSecret(dataDir: string): Buffer {
  const path = join(dataDir, SECRET_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // "wx": only the first of several instances starting together creates it.
    writeFileSync(path, randomBytes(MIN_SECRET_BYTES).toString("base64url"), { mode: 0o600, flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
      throw e;
    }
  }
  return Buffer.from(readFileSync(path, "utf8").trim(), "utf8");
}
