/**
 * Typed configuration, read once from the environment at start.
 * Nothing else in the server reads process.env.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RateLimits } from "./interceptors/rate-limit.js";
import type { Rate } from "./limits/token-buckets.js";

export interface TlsConfig {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** When set, clients must present a certificate signed by one of these CAs (mTLS). */
  readonly clientCa: Buffer | undefined;
}

export type StorageConfig =
  | { readonly kind: "memory" }
  | { readonly kind: "sqlite"; readonly path: string };

/**
 * Where spans go: nowhere (no tracing work at all), the console (for
 * development), or an OpenTelemetry collector over OTLP/HTTP (JSON).
 */
export type TracingConfig =
  | { readonly exporter: "none" }
  | { readonly exporter: "console"; readonly serviceName: string }
  | {
      readonly exporter: "otlp";
      readonly serviceName: string;
      /** Where spans are posted, e.g. http://localhost:4318/v1/traces */
      readonly url: string;
    };

export interface JwtConfig {
  readonly algorithm: "HS256" | "ES256";
  /** HS256 secret; when unset, one is generated and kept in the data folder. */
  readonly secret: string | undefined;
  /** ES256 PEM private key file. */
  readonly privateKeyFile: string | undefined;
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
}

export interface AdminConfig {
  readonly username: string;
  readonly password: string;
  readonly email: string;
}

export interface MetricsConfig {
  /**
   * When set, scrapes of /metrics must send `authorization: Bearer <token>`;
   * otherwise anyone who reaches the endpoint may read it.
   */
  readonly token: string | undefined;
  /** A port of its own for /metrics (e.g. on an internal network); undefined serves it on the main port. */
  readonly port: number | undefined;
  /** The address that port listens on. */
  readonly host: string;
}

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsConfig | undefined;
  /** Where the server keeps its files (the SQLite database, a generated JWT secret). */
  readonly dataDir: string;
  readonly storage: StorageConfig;
  readonly jwt: JwtConfig;
  /** An admin account created or updated at start, when configured. */
  readonly admin: AdminConfig | undefined;
  readonly rateLimits: RateLimits;
  /** Origins allowed to call from browsers besides the server's own; "*" for any. */
  readonly corsOrigins: readonly string[];
  /** Take client addresses from X-Forwarded-For (behind a trusted proxy only). */
  readonly trustProxy: boolean;
  readonly logLevel: string;
  /** One JSON object per line, or colourised lines for a person at a terminal. */
  readonly logFormat: "json" | "pretty";
  /** Largest request message accepted, in bytes (after decompression). */
  readonly readMaxBytes: number;
  /** Response messages smaller than this go out uncompressed, whatever the client accepts. */
  readonly compressMinBytes: number;
  /** Longest timeout a client may ask for; longer ones are INVALID_ARGUMENT. */
  readonly maxTimeoutMs: number;
  /** scrypt cost as log2(N); each step doubles hashing time and memory. */
  readonly passwordHashCost: number;
  /** On shutdown, calls still running after this are ended with UNAVAILABLE. */
  readonly shutdownGraceMs: number;
  /**
   * On SIGTERM/SIGINT, how long the server goes on accepting calls while its
   * health is NOT_SERVING, so that load balancers stop sending calls before
   * the port closes.
   */
  readonly shutdownDrainMs: number;
  /** How often storage is probed for health (grpc.health.v1, /readyz). */
  readonly healthPollMs: number;
  /** An HTTP/2 connection silent this long gets a PING; unanswered as long, it is closed. */
  readonly idleProbeMs: number;
  /** Serve unary gRPC and Connect calls on the lean paths (server/transport/unary-fast-path). */
  readonly unaryFastPath: boolean;
  /** The browser app's build, served at `/`; undefined serves no app. */
  readonly webRoot: string | undefined;
  /** Serve gRPC server reflection (the schema, to tools such as buf curl and grpcurl). */
  readonly reflection: boolean;
  /** Where and to whom Prometheus metrics are served; undefined with METRICS=off (none are kept). */
  readonly metrics: MetricsConfig | undefined;
  /** OpenTelemetry traces: a span per RPC and per storage call, exported as configured. */
  readonly tracing: TracingConfig;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env = process.env): Config {
  const dataDir = env.DATA_DIR || "./data";
  const host = env.HOST || "0.0.0.0";
  const port = integer(env, "PORT", 8080, 0, 65535);
  return {
    host,
    port,
    tls: loadTls(env),
    dataDir,
    storage: loadStorage(env, dataDir),
    jwt: {
      algorithm: oneOf(env, "JWT_ALGORITHM", "HS256", ["HS256", "ES256"]),
      secret: env.JWT_SECRET || undefined,
      privateKeyFile: env.JWT_PRIVATE_KEY_FILE || undefined,
      issuer: env.JWT_ISSUER || "user-service",
      audience: env.JWT_AUDIENCE || "user-service",
      lifetimeSeconds: integer(env, "JWT_LIFETIME_SECONDS", 3600, 60, 30 * 24 * 3600),
    },
    admin: loadAdmin(env),
    rateLimits: {
      login: rate(env, "RATE_LIMIT_LOGIN", "10/min"),
      anonymous: rate(env, "RATE_LIMIT_ANONYMOUS", "60/min"),
      user: rate(env, "RATE_LIMIT_USER", "200/s"),
    },
    corsOrigins: loadCorsOrigins(env),
    trustProxy: oneOf(env, "TRUST_PROXY", "false", ["true", "false"]) === "true",
    logLevel: oneOf(env, "LOG_LEVEL", "info", ["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
    // Pretty at a terminal (development), JSON when the output goes to a file or a collector.
    logFormat: oneOf(env, "LOG_FORMAT", process.stdout.isTTY ? "pretty" : "json", ["json", "pretty"]),
    readMaxBytes: integer(env, "READ_MAX_BYTES", 4 * 1024 * 1024, 1024, 0xffffffff),
    compressMinBytes: integer(env, "COMPRESS_MIN_BYTES", 1024, 0, 0xffffffff),
    maxTimeoutMs: integer(env, "MAX_TIMEOUT_MS", 24 * 60 * 60 * 1000, 1, 0x7fffffff),
    passwordHashCost: integer(env, "PASSWORD_HASH_COST", 15, 10, 20),
    shutdownGraceMs: integer(env, "SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    shutdownDrainMs: integer(env, "SHUTDOWN_DRAIN_MS", 0, 0, 600_000),
    healthPollMs: integer(env, "HEALTH_POLL_MS", 5_000, 10, 600_000),
    idleProbeMs: integer(env, "IDLE_PROBE_MS", 5 * 60_000, 100, 24 * 60 * 60_000),
    webRoot: loadWebRoot(env),
    unaryFastPath: oneOf(env, "UNARY_FAST_PATH", "on", ["on", "off"]) === "on",
    reflection: oneOf(env, "REFLECTION", "on", ["on", "off"]) === "on",
    metrics: loadMetrics(env, host, port),
    tracing: loadTracing(env),
  };
}

/** Long enough not to be guessed; printable with no spaces, since it travels in a header. */
const METRICS_TOKEN = /^[\x21-\x7e]{16,}$/;

function loadMetrics(env: Env, host: string, port: number): MetricsConfig | undefined {
  if (oneOf(env, "METRICS", "on", ["on", "off"]) === "off") {
    return undefined;
  }
  const token = env.METRICS_TOKEN || undefined;
  if (token !== undefined && !METRICS_TOKEN.test(token)) {
    throw new ConfigError("METRICS_TOKEN must be at least 16 printable characters without spaces");
  }
  const metricsPort = env.METRICS_PORT ? integer(env, "METRICS_PORT", 0, 1, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort === port) {
    throw new ConfigError(`METRICS_PORT must differ from PORT (${port}): leave it unset to serve /metrics on PORT`);
  }
  return { token, port: metricsPort, host: env.METRICS_HOST || host };
}

function loadStorage(env: Env, dataDir: string): StorageConfig {
  const kind = oneOf(env, "STORAGE", "sqlite", ["sqlite", "memory"]);
  if (kind === "memory") {
    return { kind };
  }
  return { kind, path: env.DATABASE_PATH || `${dataDir}/users.db` };
}

function loadAdmin(env: Env): AdminConfig | undefined {
  const username = env.ADMIN_USERNAME;
  const password = env.ADMIN_PASSWORD;
  if (!username && !password) {
    return undefined;
  }
  if (!username || !password) {
    throw new ConfigError("ADMIN_USERNAME and ADMIN_PASSWORD must be set together");
  }
  // .invalid is reserved (RFC 2606): the default address can never receive mail.
  return { username, password, email: env.ADMIN_EMAIL || `${username}@admin.invalid` };
}

/**
 * The standard OpenTelemetry variables, with one difference: tracing is off
 * unless asked for, by OTEL_TRACES_EXPORTER or by naming an OTLP endpoint.
 * The exporter library itself reads the other standard OTLP variables
 * (OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT, _COMPRESSION, certificates).
 */
function loadTracing(env: Env): TracingConfig {
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const named = tracesEndpoint !== undefined || endpoint !== undefined;
  const exporter = oneOf(env, "OTEL_TRACES_EXPORTER", named ? "otlp" : "none", ["none", "otlp", "console"]);
  if (exporter === "none") {
    return { exporter };
  }
  const serviceName = env.OTEL_SERVICE_NAME || "user-service";
  if (exporter === "console") {
    return { exporter, serviceName };
  }
  // The exporter sends OTLP as JSON over HTTP, which a collector's OTLP/HTTP
  // port (4318) takes; OTLP over gRPC (port 4317) would need another exporter.
  for (const name of ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const protocol = env[name];
    if (protocol && protocol !== "http/json") {
      throw new ConfigError(`${name} must be http/json (traces go as OTLP/HTTP with JSON), got "${protocol}"`);
    }
  }
  // As the OTLP specification says: the signal-specific endpoint is the full
  // URL, the general one a base to which the signal's path is added.
  const url = tracesEndpoint ?? (endpoint === undefined ? "http://localhost:4318/v1/traces" : `${endpoint.replace(/\/+$/, "")}/v1/traces`);
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw new ConfigError(
      `${tracesEndpoint === undefined ? "OTEL_EXPORTER_OTLP_ENDPOINT" : "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} must be an http:// or https:// URL, got "${tracesEndpoint ?? endpoint}"`,
    );
  }
  return { exporter, serviceName, url };
}

const RATE = /^(\d+)\/(s|min|h)$/;
const SECONDS_PER_UNIT = { s: 1, min: 60, h: 3600 } as const;

/** "N/s", "N/min" or "N/h" (a burst of N, refilled over the unit), or "off". */
function rate(env: Env, name: string, fallback: string): Rate | undefined {
  const raw = env[name] || fallback;
  if (raw === "off") {
    return undefined;
  }
  const match = RATE.exec(raw);
  const burst = Number(match?.[1]);
  if (match === null || burst < 1) {
    throw new ConfigError(`${name} must look like 10/min, 5/s or 100/h (or be "off"), got "${raw}"`);
  }
  return { burst, perSecond: burst / SECONDS_PER_UNIT[match[2] as keyof typeof SECONDS_PER_UNIT] };
}

const ORIGIN = /^https?:\/\/[^/\s]+$/;

function loadCorsOrigins(env: Env): string[] {
  const origins = (env.CORS_ORIGINS ?? "").split(",").map((o) => o.trim()).filter((o) => o !== "");
  for (const origin of origins) {
    if (origin !== "*" && !ORIGIN.test(origin)) {
      throw new ConfigError(`CORS_ORIGINS entries must be origins such as https://app.example.com, got "${origin}"`);
    }
  }
  return origins;
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

/** The build in web/dist beside this checkout by default, whatever the working directory. */
function loadWebRoot(env: Env): string | undefined {
  const root = env.WEB_ROOT || fileURLToPath(new URL("../web/dist", import.meta.url));
  return root === "off" ? undefined : root;
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
