import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHealthChecker, ServingStatus } from "../health-checker.js";

const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = ServingStatus;

describe("health checker", () => {
  it("knows the whole server, SERVING, and services once set", () => {
    const checker = createHealthChecker();
    assert.equal(checker.status(""), SERVING);
    assert.equal(checker.status("user.v1.UserService"), undefined);
    checker.setStatus("user.v1.UserService", NOT_SERVING);
    assert.equal(checker.status("user.v1.UserService"), NOT_SERVING);
    assert.deepEqual([...checker.statuses()], [["", SERVING], ["user.v1.UserService", NOT_SERVING]]);
  });

  it("watches: the status now, then each change", async () => {
    const checker = createHealthChecker();
    const watch = checker.watch("", new AbortController().signal)[Symbol.asyncIterator]();
    assert.equal((await watch.next()).value, SERVING);
    const next = watch.next();
    checker.setStatus("", NOT_SERVING);
    assert.equal((await next).value, NOT_SERVING);
    await watch.return?.();
  });

  it("watches an unknown service as SERVICE_UNKNOWN until it becomes known", async () => {
    const checker = createHealthChecker();
    const watch = checker.watch("later", new AbortController().signal)[Symbol.asyncIterator]();
    assert.equal((await watch.next()).value, SERVICE_UNKNOWN);
    checker.setStatus("later", SERVING);
    assert.equal((await watch.next()).value, SERVING);
    await watch.return?.();
  });

  it("gives a reader that fell behind the latest status, and no repeats", async () => {
    const checker = createHealthChecker();
    const abort = new AbortController();
    const watch = checker.watch("", abort.signal)[Symbol.asyncIterator]();
    await watch.next();
    checker.setStatus("", NOT_SERVING);
    checker.setStatus("", SERVING);
    checker.setStatus("", NOT_SERVING);
    checker.setStatus("", NOT_SERVING);
    assert.equal((await watch.next()).value, NOT_SERVING);
    const pending = watch.next();
    const winner = await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, 20, "nothing"))]);
    assert.equal(winner, "nothing");
    abort.abort(new Error("done"));
    await assert.rejects(pending, /done/);
  });

  it("ends a watch with the signal's reason", async () => {
    const checker = createHealthChecker();
    const abort = new AbortController();
    const watch = checker.watch("", abort.signal)[Symbol.asyncIterator]();
    await watch.next();
    const pending = watch.next();
    abort.abort(new Error("gone"));
    await assert.rejects(pending, /gone/);
  });

  it("turns every service NOT_SERVING on shutdown, for good", async () => {
    const checker = createHealthChecker();
    checker.setStatus("user.v1.UserService", SERVING);
    const watch = checker.watch("user.v1.UserService", new AbortController().signal)[Symbol.asyncIterator]();
    await watch.next();
    checker.shutdown();
    assert.equal(checker.shuttingDown, true);
    assert.equal((await watch.next()).value, NOT_SERVING);
    checker.setStatus("", SERVING);
    checker.setStatus("new", SERVING);
    assert.deepEqual([...checker.statuses()], [["", NOT_SERVING], ["user.v1.UserService", NOT_SERVING]]);
    await watch.return?.();
  });
});
