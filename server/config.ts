/**
 * Typed configuration, read once from the environment at start.
 * Nothing else in the server reads process.env.
 */
import { readFileSync } from "node:fs";

export interface TlsConfig {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When set, clients must present a certificate signed by one of these CAs (mTLS). */
  readonly clientCa: Buffer | undefined;
}

export type StorageConfig =
  | { readonly kind: "memory" }
  | { readonly kind: "sqlite"; readonly path: string };

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsConfig | undefined;
  readonly storage: StorageConfig;
  readonly logLevel: string;
  /** Largest request message accepted, in bytes (after decompression). */
  readonly readMaxBytes: number;
  /** Longest timeout a client may ask for; longer ones are INVALID_ARGUMENT. */
  readonly maxTimeoutMs: number;
  /** scrypt cost as log2(N); each step doubles hashing time and memory. */
  readonly passwordHashCost: number;
  /** On shutdown, calls still running after this are ended with UNAVAILABLE. */
  readonly shutdownGraceMs: number;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  // Where the server keeps its files: the SQLite database by default.
  const dataDir = env.DATA_DIR || "./data";
  return {
    host: env.HOST || "0.0.0.0",
    port: integer(env, "PORT", 8080, 0, 65535),
    tls: loadTls(env),
    storage: loadStorage(env, dataDir),
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    readMaxBytes: integer(env, "READ_MAX_BYTES", 4 * 1024 * 1024, 1024, 0xffffffff),
    maxTimeoutMs: integer(env, "MAX_TIMEOUT_MS", 24 * 60 * 60 * 1000, 1, 0x7fffffff),
    passwordHashCost: integer(env, "PASSWORD_HASH_COST", 15, 10, 20),
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
  };
}

function loadStorage(env: Env, dataDir: string): StorageConfig {
  const kind = oneOf(env, "STORAGE", "sqlite", ["sqlite", "memory"]);
  if (kind === "memory") {
    return { kind };
  }
  return { kind, path: env.DATABASE_PATH || `${dataDir}/users.db` };
}

function loadTls(env: Env): TlsConfig | undefined {
  const certPath = env.TLS_CERT;
  const keyPath = env.TLS_KEY;
  const clientCaPath = env.TLS_CLIENT_CA;
  if (!certPath && !keyPath) {
    if (clientCaPath) {
      throw new ConfigError("TLS_CLIENT_CA needs TLS_CERT and TLS_KEY: client certificates are checked over TLS");
    }
    return undefined;
  }
  if (!certPath || !keyPath) {
    throw new ConfigError("TLS_CERT and TLS_KEY must be set together");
  }
  return {
    cert: readFileSync(certPath),
    key: readFileSync(keyPath),
    clientCa: clientCaPath ? readFileSync(clientCaPath) : undefined,
  };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    return fallback;
  }
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}
