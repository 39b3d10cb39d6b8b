/**
 * docs/grafana-dashboard.json is a dashboard Grafana can import, and every
 * query in it reads metrics the server exports (a renamed metric would
 * otherwise leave a panel silently empty).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createServerMetrics } from "../../server/observability/metrics.js";

interface Target {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
}

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly targets?: readonly Target[];
}

interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: unknown;
  readonly definition?: string;
}

interface Dashboard {
  readonly schemaVersion: number;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

const dashboard = JSON.parse(
  readFileSync(join(import.meta.dirname, "..", "..", "docs", "grafana-dashboard.json"), "utf8"),
) as Dashboard;
const queryPanels = dashboard.panels.filter((panel) => panel.type !== "row");
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";

/**
 * Every metric `expr` reads: a name right before a selector's `{`, or the
 * metric of a variable's label_values(metric, label).
 */
function metricNames(expr: string): string[] {
  const selectors = [...expr.matchAll(new RegExp(`(${NAME})\\{`, "g"))].map((m) => m[1]!);
  assert.equal(selectors.length, expr.split("{").length - 1, `every selector names its metric: ${expr}`);
  const labelValues = [...expr.matchAll(new RegExp(`label_values\\((${NAME}),`, "g"))].map((m) => m[1]!);
  const names = [...selectors, ...labelValues];
  assert.ok(names.length > 0, `reads some metric: ${expr}`);
  return names;
}

/** What a scrape of the server shows (by its TYPE lines): histograms as their _bucket, _sum and _count series. */
async function exportedNames(): Promise<Set<string>> {
  const { registry } = createServerMetrics({ chatMembers: () => 0 });
  const names = new Set<string>();
  for (const [, name, type] of (await registry.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const suffixes = type === "histogram" ? ["_bucket", "_sum", "_count"] : [""];
    suffixes.forEach((suffix) => names.add(name + suffix));
  }
  return names;
}

describe("the Grafana dashboard", () => {
  it("is an importable dashboard: schema version, uid, title, unique panel ids, a place on the grid", () => {
    assert.equal(typeof dashboard.schemaVersion, "number");
    assert.ok(dashboard.schemaVersion >= 36, "a schema Grafana 9 and later reads as is");
    assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(dashboard.title.length > 0);
    const ids = dashboard.panels.map((panel) => panel.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of dashboard.panels) {
      const { w, h, x, y } = panel.gridPos;
      assert.ok(w > 0 && h > 0 && x >= 0 && y >= 0 && x + w <= 24, `${panel.title} fits the 24-column grid`);
    }
  });

  it("asks for a Prometheus data source on import and reads from it in every query", () => {
    const variable = dashboard.templating.list.find((v) => v.name === "datasource");
    assert.equal(variable?.type, "datasource");
    assert.equal(variable?.query, "prometheus");
    for (const panel of queryPanels) {
      assert.deepEqual(panel.datasource, DATASOURCE, panel.title);
      assert.ok(panel.targets !== undefined && panel.targets.length > 0, `${panel.title} has queries`);
      for (const target of panel.targets) {
        assert.deepEqual(target.datasource, DATASOURCE, `${panel.title} ${target.refId}`);
      }
      const refIds = panel.targets.map((target) => target.refId);
      assert.equal(new Set(refIds).size, refIds.length, `${panel.title} refIds`);
    }
  });

  it("has the panels the issue asks for", () => {
    const titles = queryPanels.map((panel) => panel.title);
    for (const wanted of [/request rate/i, /error ratio by code/i, /p50.*p95.*p99/i, /active streams/i, /chat/i]) {
      assert.ok(titles.some((title) => wanted.test(title)), `a panel matching ${wanted}`);
    }
  });

  it("queries only metrics the server exports", async () => {
    const exported = await exportedNames();
    const queries = [
      ...queryPanels.flatMap((panel) => panel.targets!.map((target) => ({ where: panel.title, expr: target.expr }))),
      ...dashboard.templating.list
        .filter((v) => v.type === "query")
        .map((v) => ({ where: `variable ${v.name}`, expr: v.definition! })),
    ];
    for (const { where, expr } of queries) {
      for (const name of metricNames(expr)) {
        assert.ok(exported.has(name), `${where}: the server exports no ${name}`);
      }
    }
  });
});
