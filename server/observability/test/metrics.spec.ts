import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthService } from "../../../gen/auth/v1/auth_pb.js";
import { createServerMetrics } from "../metrics.js";

/** The sample lines of a scrape that start with `prefix`. */
async function lines(metrics: ReturnType<typeof createServerMetrics>, prefix: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split("\n").filter((line) => line.startsWith(prefix));
}

describe("server metrics", () => {
  it("keeps each app's counts in a registry of its own", async () => {
    const a = createServerMetrics({ chatMembers: () => 0 });
    const b = createServerMetrics({ chatMembers: () => 0 });
    a.rpcInFlight.inc();
    assert.deepEqual(await lines(a, "rpc_server_in_flight_calls"), ["rpc_server_in_flight_calls 1"]);
    assert.deepEqual(await lines(b, "rpc_server_in_flight_calls"), ["rpc_server_in_flight_calls 0"]);
  });

  it("reads the chat room's size at each scrape", async () => {
    let members = 2;
    const metrics = createServerMetrics({ chatMembers: () => members });
    assert.deepEqual(await lines(metrics, "chat_room_members"), ["chat_room_members 2"]);
    members = 0;
    assert.deepEqual(await lines(metrics, "chat_room_members"), ["chat_room_members 0"]);
  });

  it("counts open connections by HTTP version, both shown from the start", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    assert.deepEqual(await lines(metrics, "http_server_active_connections"), [
      'http_server_active_connections{http_version="1.1"} 0',
      'http_server_active_connections{http_version="2"} 0',
    ]);
    metrics.connections.opened("2");
    metrics.connections.opened("2");
    metrics.connections.opened("1.1");
    metrics.connections.closed("2");
    assert.deepEqual(await lines(metrics, "http_server_active_connections"), [
      'http_server_active_connections{http_version="1.1"} 1',
      'http_server_active_connections{http_version="2"} 1',
    ]);
  });

  it("counts rate-limited calls by service, method and limit", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    metrics.rateLimited(AuthService.method.login, "login");
    metrics.rateLimited(AuthService.method.login, "login");
    assert.deepEqual(await lines(metrics, "rpc_server_rate_limited_total"), [
      'rpc_server_rate_limited_total{service="auth.v1.AuthService",method="Login",limit="login"} 2',
    ]);
  });

  it("includes the process and event-loop metrics", async () => {
    const metrics = createServerMetrics({ chatMembers: () => 0 });
    for (const name of ["process_cpu_seconds_total", "process_resident_memory_bytes", "nodejs_eventloop_lag_p99_seconds", "nodejs_heap_size_used_bytes"]) {
      assert.equal((await lines(metrics, `${name} `)).length, 1, name);
    }
  });
});
