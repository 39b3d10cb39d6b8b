/**
 * A UserStore that shows its calls in traces: each call made while a span is
 * current (an RPC's, see interceptors/tracing.ts) gets a child span named
 * `UserStore.<method>`, with `db.system.name` (the backend),
 * `db.operation.name` (the method), `db.response.returned_rows` for lists
 * and, when the call fails, an error status with `error.type` (the error's
 * class; not its message, which may quote stored values).
 *
 * Calls outside any trace — health probes every few seconds, the admin
 * set-up at start — make no span: each would start a trace of its own.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Tracer } from "@opentelemetry/api";
import { ATTR_DB_OPERATION_NAME, ATTR_DB_SYSTEM_NAME, ATTR_ERROR_TYPE } from "@opentelemetry/semantic-conventions";
import type { UserStore } from "./store.js";

const ATTR_DB_RESPONSE_RETURNED_ROWS = "db.response.returned_rows";

/**
 * Which methods are traced: every storage call a request makes. A method
 * added to UserStore fails to compile here until it is listed.
 */
const TRACED: { readonly [K in keyof UserStore]: boolean } = {
  get: true,
  findByUsername: true,
  create: true,
  createMany: true,
  update: true,
  delete: true,
  listPage: true,
  ping: false,
  close: false,
};

type Method = (...args: unknown[]) => Promise<unknown>;

/** `system` names the backend, e.g. "sqlite" or "memory". */
export function createTracedStore(store: UserStore, tracer: Tracer, system: string): UserStore {
  const traced: Partial<Record<keyof UserStore, Method>> = {};
  for (const name of Object.keys(TRACED) as (keyof UserStore)[]) {
    const method = (store[name] as Method).bind(store);
    if (!TRACED[name]) {
      traced[name] = method;
      continue;
    }
    const spanName = `UserStore.${name}`;
    const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: system, [ATTR_DB_OPERATION_NAME]: name };
    traced[name] = (...args) => callInSpan(tracer, spanName, attributes, method, args);
  }
  return traced as UserStore;
}

async function callInSpan(tracer: Tracer, name: string, attributes: Attributes, method: Method, args: unknown[]): Promise<unknown> {
  const parent = context.active();
  if (trace.getSpan(parent) === undefined) {
    return method(...args);
  }
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  try {
    const result = await method(...args);
    if (Array.isArray(result)) {
      span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, result.length);
    }
    return result;
  } catch (e) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.setAttribute(ATTR_ERROR_TYPE, e instanceof Error ? e.name : "_OTHER");
    throw e;
  } finally {
    span.end();
  }
}
