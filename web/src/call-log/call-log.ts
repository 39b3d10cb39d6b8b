/**
 * The calls this page made, newest first, for the call log panel. Bounded:
 * a long session keeps only the last MAX_CALLS.
 */
import type { Code } from "@connectrpc/connect";

const MAX_CALLS = 100;

export interface CallRecord {
  readonly id: number;
  /** "UserService" */
  readonly service: string;
  /** "ListUsers" */
  readonly method: string;
  readonly transport: string;
  readonly requestId: string;
  readonly streaming: boolean;
  readonly startedAt: number;
  /** Messages a server stream delivered so far. */
  messages: number;
  /** Set when the call ends: "ok" or the error's code. */
  outcome: { readonly code: Code | undefined; readonly durationMs: number } | undefined;
}

type Listener = (call: CallRecord) => void;

export class CallLog {
  readonly calls: CallRecord[] = [];
  readonly #listeners = new Set<Listener>();
  #nextId = 1;

  start(call: Pick<CallRecord, "service" | "method" | "transport" | "requestId" | "streaming">): CallRecord {
    const record: CallRecord = { ...call, id: this.#nextId++, startedAt: performance.now(), messages: 0, outcome: undefined };
    this.calls.unshift(record);
    this.calls.length = Math.min(this.calls.length, MAX_CALLS);
    this.#changed(record);
    return record;
  }

  received(call: CallRecord): void {
    call.messages++;
    this.#changed(call);
  }

  finish(call: CallRecord, code: Code | undefined): void {
    if (call.outcome === undefined) {
      call.outcome = { code, durationMs: performance.now() - call.startedAt };
      this.#changed(call);
    }
  }

  onChange(listener: Listener): void {
    this.#listeners.add(listener);
  }

  #changed(call: CallRecord): void {
    for (const listener of this.#listeners) {
      listener(call);
    }
  }
}
