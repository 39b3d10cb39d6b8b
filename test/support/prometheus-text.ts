/**
 * Reading a /metrics answer (Prometheus text format 0.0.4) back, for tests
 * that check exact values: each sample line as a name, its labels and value.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly samples: readonly Sample[];
  /** Samples named `name` whose labels include every one of `labels`. */
  matching(name: string, labels?: Readonly<Record<string, string>>): Sample[];
  /** The sum of those samples' values; 0 when there are none. */
  sum(name: string, labels?: Readonly<Record<string, string>>): number;
}

// name{a="x",b="y\"z"} value   or   name value
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parsePrometheusText(text: string): Scrape {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) {
      continue;
    }
    const match = SAMPLE.exec(line);
    if (match === null) {
      throw new Error(`not a sample line: ${line}`);
    }
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? "").matchAll(LABEL)) {
      labels[name!] = value!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  const matching = (name: string, labels: Readonly<Record<string, string>> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    samples,
    matching,
    sum: (name, labels) => matching(name, labels).reduce((total, s) => total + s.value, 0),
  };
}
