import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHealthChecker, ServingStatus } from "../health-checker.js";
import { startReadinessPolling, type ReadinessPollingOptions } from "../readiness-polling.js";

const { SERVING, NOT_SERVING } = ServingStatus;
const INTERVAL_MS = 20;
const services = ["", "user.v1.UserService"];

/** Polling with a probe that fails while `down` is set. */
async function startPolling(overrides: Partial<ReadinessPollingOptions> = {}) {
  const checker = createHealthChecker();
  const state = { down: false };
  const changes: boolean[] = [];
  const polling = await startReadinessPolling({
    checker,
    services,
    probe: async () => {
      if (state.down) {
        throw new Error("storage unreachable");
      }
    },
    intervalMs: INTERVAL_MS,
    onChange: (serving) => changes.push(serving),
    ...overrides,
  });
  return { checker, state, changes, polling };
}

const statusesOf = (checker: ReturnType<typeof createHealthChecker>) => services.map((s) => checker.status(s));
const intervals = (count: number) => new Promise((resolve) => setTimeout(resolve, count * INTERVAL_MS));

describe("readiness polling", () => {
  it("sets the services' status from the first probe before resolving", async () => {
    const { checker, polling } = await startPolling({ probe: () => Promise.reject(new Error("down")) });
    assert.deepEqual(statusesOf(checker), [NOT_SERVING, NOT_SERVING]);
    polling.stop();
  });

  it("follows the probe down and up again, telling each change once", async () => {
    const { checker, state, changes, polling } = await startPolling();
    assert.deepEqual(statusesOf(checker), [SERVING, SERVING]);
    state.down = true;
    await intervals(4);
    assert.deepEqual(statusesOf(checker), [NOT_SERVING, NOT_SERVING]);
    state.down = false;
    await intervals(4);
    assert.deepEqual(statusesOf(checker), [SERVING, SERVING]);
    assert.deepEqual(changes, [true, false, true]);
    polling.stop();
  });

  it("counts a probe slower than the interval as a failure", async () => {
    const { checker, polling } = await startPolling({ probe: () => new Promise(() => {}) });
    assert.deepEqual(statusesOf(checker), [NOT_SERVING, NOT_SERVING]);
    polling.stop();
  });

  it("changes nothing once stopped", async () => {
    const { checker, state, polling } = await startPolling();
    polling.stop();
    state.down = true;
    await intervals(3);
    assert.deepEqual(statusesOf(checker), [SERVING, SERVING]);
  });
});
