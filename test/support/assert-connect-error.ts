/** Asserting that a call fails with a given Connect/gRPC code and message. */
import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Awaits `call`, which must reject with a ConnectError of `code` whose message
 * (without the "[code]" prefix) matches `message`. Returns the error, for
 * checks of its metadata or details.
 */
export async function assertConnectError(call: Promise<unknown>, code: Code, message?: RegExp): Promise<ConnectError> {
  let error: ConnectError | undefined;
  await assert.rejects(call, (e: unknown) => {
    assert.ok(e instanceof ConnectError, `expected a ConnectError, got ${String(e)}`);
    assert.equal(Code[e.code], Code[code], `wrong code for "${e.message}"`);
    if (message !== undefined) {
      assert.match(e.rawMessage, message);
    }
    error = e;
    return true;
  });
  return error!;
}
