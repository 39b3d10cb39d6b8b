/**
 * Captures a server's log: pass `stream` as startServer's logStream (with a
 * LOG_LEVEL in its env) and read back every line, raw or parsed.
 */
import { Writable } from "node:stream";

/** A pino log line: level, time and msg, plus the fields the call logged. */
export type LogRecord = Record<string, unknown> & { readonly msg?: string };

export interface LogCapture {
  readonly stream: Writable;
  /** Every line written so far, as written. */
  lines(): string[];
  /** Every line written so far, parsed. */
  records(): LogRecord[];
}

export function createLogCapture(): LogCapture {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const lines = () => text.split("\n").filter((line) => line !== "");
  return {
    stream,
    lines,
    records: () => lines().map((line) => JSON.parse(line) as LogRecord),
  };
}
