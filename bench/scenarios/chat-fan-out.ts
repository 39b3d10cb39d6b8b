/**
 * Scenario 4: chat fan-out. Many Chat streams (gRPC bidi) in the room of our
 * server as shipped; one member sends messages at a steady pace and every
 * member's delivery is timed from the send.
 */
import { runChatRound, type ChatRoomRound } from "../load/chat-members.js";
import { formatNumber } from "../report/format.js";
import { figure, summaryOf, text, type Section } from "../report/results.js";
import { ourServer } from "../servers/catalog.js";
import { serverCommand, startServer, type RunningServer } from "../servers/start-server.js";
import { runInterleaved } from "../stats/interleave.js";
import { percentile } from "../stats/summary.js";
import type { Scenario, ScenarioContext } from "./scenario.js";

const JOIN_TIMEOUT_MS = 30_000;

export const chatFanOut: Scenario = {
  id: "chat",
  title: "Chat fan-out",
  async run(ctx) {
    const { plan, fixture } = ctx;
    const { streams, messages, intervalMs } = plan.chat;
    const server = await startServer(ourServer(fixture, await fixture.database("small", plan.smallDatabaseUsers), { id: "ours-chat" }), fixture.logDir);
    try {
      const token = await ctx.token(server);
      const round = (n: number, count = messages) =>
        runChatRound({ url: server.url, token, members: streams, messages: count, intervalMs, round: n, timeoutMs: JOIN_TIMEOUT_MS + count * intervalMs * 10 });
      const results = await runInterleaved(
        [{ key: "chat", label: "Chat", warmUp: async () => void (await round(-1, 5)), run: (n) => round(n) }],
        {
          rounds: plan.chat.rounds,
          onResult: (_, n, r) =>
            ctx.log(`chat: round ${n + 1}: p50 ${formatNumber(percentile(r.latencies, 0.5), 1)} ms, p99 ${formatNumber(percentile(r.latencies, 0.99), 1)} ms`),
        },
      );
      return chatSection(ctx, results.get("chat")!, server);
    } finally {
      await server.stop();
    }
  },
};

function chatSection(ctx: ScenarioContext, rounds: readonly ChatRoomRound[], server: RunningServer): Section {
  const { streams, messages, intervalMs } = ctx.plan.chat;
  const at = (p: number) => figure(rounds.map((r) => percentile(r.latencies, p)), 1);
  const p99 = at(0.99);
  return {
    id: "chat",
    title: "Chat fan-out",
    about: [
      `${streams} Chat streams (gRPC bidi, ${Math.ceil(streams / 50)} HTTP/2 connections) join the room of the server as shipped ` +
        `(CPU 0); one of them sends ${messages} messages, one every ${intervalMs} ms, and each of the ${streams} members' ` +
        `deliveries (${(streams * messages).toLocaleString("en-US")} a round, the sender's own included) is timed from the send ` +
        `to its arrival at the client (CPU 1, one process, so a delivery's time includes the client decoding the ones before it). ` +
        `${rounds.length} rounds after a warm-up; every delivery must arrive and every stream end with grpc-status 0.`,
    ],
    columns: [
      { key: "figure", title: "send → delivery latency" },
      { key: "value", title: "ms, median of rounds (min–max)" },
      { key: "target", title: "issue #7 target" },
    ],
    rows: [
      { figure: text("p50"), value: at(0.5) },
      { figure: text("p99"), value: p99, target: text("≤ 50 ms") },
      { figure: text("max"), value: at(1) },
    ],
    charts: [
      {
        title: `Chat fan-out to ${streams} streams, p99 latency`,
        unit: "ms",
        bars: [{ label: "gRPC bidi, this server", summary: summaryOf(p99)! }],
        target: { value: 50, label: "target ≤ 50" },
      },
    ],
    commands: [serverCommand(server.spec, ctx.fixture.workDir)],
    notes: [],
  };
}
