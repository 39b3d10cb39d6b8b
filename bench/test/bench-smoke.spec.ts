/**
 * Keeps the bench harness from rotting: one tiny round of the unary scenario
 * (our server and the raw floor, gRPC, h2load) through the whole pipeline —
 * fixture, pinned servers, checked answers, interleaved rounds, report. It
 * asserts what the harness produced, never how fast anything was.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { benchPlan } from "../plan.js";
import { renderMarkdown } from "../report/markdown.js";
import { summaryOf } from "../report/results.js";
import { renderSvg } from "../report/svg-chart.js";
import { runBench } from "../run-bench.js";
import { unaryGetUser } from "../scenarios/unary-get-user.js";

describe("the bench harness", () => {
  it("runs a tiny unary round on our server and the floor and reports both with a ratio", { timeout: 30_000 }, async () => {
    const report = await runBench({
      plan: benchPlan("smoke"),
      scenarios: [unaryGetUser([{ protocol: "grpc", servers: ["ours", "raw-http2"] }])],
      command: "bench smoke test",
      log: () => {},
    });

    assert.deepEqual(report.failures, []);
    const [section] = report.sections;
    assert.equal(section?.rows.length, 2);
    for (const row of section.rows) {
      assert.ok(summaryOf(row.rate)!.median > 0);
    }
    assert.ok(section.rows[0]!["raw-http2"] !== undefined, "our row has a ratio to the floor");
    assert.match(renderMarkdown(report, "chart.svg"), /\| gRPC \(HTTP\/2\) \| this server \| [\d,]+ \|/);
    assert.equal(renderSvg(section.charts, "smoke").match(/<rect x=/g)?.length, 2);
  });
});
