import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createResponsesInFlight, type ResponsesInFlight } from "../responses-in-flight.js";

/** Whether `promise` has settled after the pending I/O and timers of a moment. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  return Promise.race([promise.then(() => true), sleep(50).then(() => false)]);
}

describe("responses in flight", () => {
  const closers: (() => void)[] = [];
  after(() => closers.forEach((close) => close()));

  /** An HTTP/1.1 server whose first response is left to the test, and a GET to it. */
  async function getOverHttp1(responses: ResponsesInFlight): Promise<{ req: http.ClientRequest; answer: http.ServerResponse }> {
    let answer: http.ServerResponse | undefined;
    const server = http.createServer(responses.track((_req: http.IncomingMessage, res: http.ServerResponse) => (answer = res)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    closers.push(() => server.closeAllConnections(), () => server.close());
    const req = http.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (res) => res.resume());
    req.on("error", () => {});
    while (answer === undefined) {
      await sleep(5);
    }
    return { req, answer };
  }

  it("resolves at once when nothing is in flight", async () => {
    assert.equal(await settledSoon(createResponsesInFlight().finished()), true);
  });

  it("HTTP/1.1: waits for a response to finish", async () => {
    const responses = createResponsesInFlight();
    const { answer } = await getOverHttp1(responses);

    const finished = responses.finished();
    assert.equal(await settledSoon(finished), false);
    answer.end("done");
    assert.equal(await settledSoon(finished), true);
  });

  it("HTTP/2: a response is sent once its stream's writable side ends, while the client still uploads", async () => {
    const responses = createResponsesInFlight();
    let answer: http2.Http2ServerResponse | undefined;
    const server = http2.createServer(responses.track((_req, res) => (answer = res)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const session = http2.connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    closers.push(() => session.destroy(), () => server.close());
    // The request side stays open: the stream does not close.
    const stream = session.request({ ":method": "POST", ":path": "/" }, { endStream: false });
    stream.on("error", () => {});
    stream.resume();
    stream.write("part of a request");
    while (answer === undefined) {
      await sleep(5);
    }

    const finished = responses.finished();
    assert.equal(await settledSoon(finished), false);
    answer.end("refused");
    assert.equal(await settledSoon(finished), true);
    assert.equal(stream.closed, false, "the client's stream is still open");
  });

  it("a response whose client went away no longer counts", async () => {
    const responses = createResponsesInFlight();
    const { req } = await getOverHttp1(responses);

    const finished = responses.finished();
    req.destroy();
    assert.equal(await settledSoon(finished), true);
  });
});
