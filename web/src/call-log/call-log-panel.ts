/**
 * The visible call log: one row per call, updated in place as a stream
 * delivers messages and when the call ends. Row updates for a fast stream
 * are coalesced to one per animation frame.
 */
import { codeName } from "../code-name.js";
import { h } from "../ui/dom.js";
import type { CallLog, CallRecord } from "./call-log.js";

export function createCallLogPanel(log: CallLog): HTMLElement {
  const rows = new Map<number, HTMLTableRowElement>();
  const body = h("tbody");
  const pending = new Set<CallRecord>();

  const render = () => {
    for (const call of pending) {
      const row = rows.get(call.id) ?? createRow(call);
      fillRow(row, call);
    }
    pending.clear();
  };
  const createRow = (call: CallRecord) => {
    const row = h("tr", { "data-call-id": call.id });
    rows.set(call.id, row);
    body.prepend(row);
    // The log keeps only its latest calls; so does the table.
    while (body.rows.length > log.calls.length) {
      const oldest = body.rows[body.rows.length - 1]!;
      rows.delete(Number(oldest.dataset.callId));
      oldest.remove();
    }
    return row;
  };
  log.onChange((call) => {
    if (pending.size === 0) {
      requestAnimationFrame(render);
    }
    pending.add(call);
  });

  return h(
    "section",
    { class: "call-log", "aria-labelledby": "call-log-title" },
    h("h2", { id: "call-log-title" }, "Call log"),
    h(
      "div",
      { class: "table-scroll", tabindex: 0, role: "region", "aria-label": "Calls, newest first" },
      h(
        "table",
        {},
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Method"),
            h("th", { scope: "col" }, "Transport"),
            h("th", { scope: "col" }, "Code"),
            h("th", { scope: "col" }, "Time"),
            h("th", { scope: "col", title: "Stream messages received" }, "Msgs"),
          ),
        ),
        body,
      ),
    ),
  );
}

function fillRow(row: HTMLTableRowElement, call: CallRecord): void {
  const status = call.outcome === undefined ? "running" : codeName(call.outcome.code);
  row.dataset.status = status;
  row.replaceChildren(
    h("td", { title: `request id ${call.requestId}` }, call.service, "/", h("wbr"), call.method),
    h("td", {}, call.transport),
    h("td", { class: "status" }, status),
    h("td", { class: "duration" }, call.outcome === undefined ? "…" : `${Math.round(call.outcome.durationMs)} ms`),
    h("td", { class: "messages" }, call.streaming ? call.messages : "–"),
  );
}
