/**
 * The user directory, fed by the ListUsers server stream: rows appear as
 * they arrive, with a live count. Pages follow the `next-page-token`
 * trailer; Cancel aborts the stream mid-way (the server stops reading).
 */
import type { User } from "../../../gen/user/v1/user_pb.js";
import { h } from "../ui/dom.js";
import { describeError, errorAlert } from "../ui/error-view.js";
import { appLink, screenHeading, type AppContext, type Screen } from "./screen.js";

const PAGE_SIZES = [25, 100, 500, 1000];
const DEFAULT_PAGE_SIZE = 100;
const NEXT_PAGE_TOKEN_TRAILER = "next-page-token";

export function directoryScreen(ctx: AppContext): Screen {
  /** The token of each page seen so far: pageTokens[0] is the first page's (""). */
  const pageTokens = [""];
  let page = 0;
  let running: AbortController | undefined;

  const pageSize = h(
    "select",
    { id: "page-size", onchange: () => void load(0) },
    ...PAGE_SIZES.map((size) => h("option", { value: size, selected: size === DEFAULT_PAGE_SIZE }, size)),
  );
  const previous = h("button", { type: "button", onclick: () => void load(page - 1) }, "Previous page");
  const next = h("button", { type: "button", onclick: () => void load(page + 1) }, "Next page");
  const cancel = h("button", { type: "button", class: "secondary", onclick: () => running?.abort() }, "Cancel");
  const count = h("output", { id: "received-count" }, "0");
  const pageLabel = h("span", {}, "Page 1");
  const status = h("p", { role: "status", class: "stream-status" });
  const errorSlot = h("div");
  const rows = h("tbody");

  const setRunning = (isRunning: boolean) => {
    cancel.disabled = !isRunning;
    previous.disabled = isRunning || page === 0;
    next.disabled = isRunning || pageTokens[page + 1] === undefined;
    rows.parentElement?.setAttribute("aria-busy", String(isRunning));
  };

  async function load(target: number): Promise<void> {
    running?.abort();
    const abort = new AbortController();
    running = abort;
    page = target;
    pageLabel.textContent = `Page ${page + 1}`;
    rows.replaceChildren();
    errorSlot.replaceChildren();
    status.textContent = "";
    count.textContent = "0";
    setRunning(true);
    let received = 0;
    let nextToken = "";
    try {
      const users = ctx.api.users.listUsers(
        { pageSize: Number(pageSize.value), pageToken: pageTokens[page] },
        { signal: abort.signal, onTrailer: (trailer) => (nextToken = trailer.get(NEXT_PAGE_TOKEN_TRAILER) ?? "") },
      );
      for await (const user of users) {
        rows.append(userRow(user));
        count.textContent = String(++received);
      }
      pageTokens.length = page + 1;
      if (nextToken !== "") {
        pageTokens.push(nextToken);
      }
      status.textContent = `Page ${page + 1}: ${received} users. ${nextToken === "" ? "This is the last page." : "More on the next page."}`;
    } catch (e) {
      if (abort.signal.aborted) {
        status.textContent = `Cancelled after ${received} users.`;
      } else {
        errorSlot.replaceChildren(errorAlert(describeError(e)));
      }
    } finally {
      if (running === abort) {
        running = undefined;
        setRunning(false);
      }
    }
  }

  const view = h(
    "section",
    {},
    screenHeading("Users"),
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: "page-size" }, "Page size "),
      pageSize,
      previous,
      pageLabel,
      next,
      cancel,
    ),
    h("p", { class: "live-count" }, count, " users received"),
    status,
    errorSlot,
    h(
      "div",
      { class: "table-scroll" },
      h(
        "table",
        { class: "directory" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Username"),
            h("th", { scope: "col" }, "Email"),
            h("th", { scope: "col" }, "Roles"),
            h("th", { scope: "col" }, "Joined"),
          ),
        ),
        rows,
      ),
    ),
  );
  void load(0);
  return { title: "Users", view, leave: () => running?.abort() };
}

function userRow(user: User): HTMLTableRowElement {
  return h(
    "tr",
    {},
    h("td", {}, appLink(`/users/${user.id}`, user.username)),
    h("td", {}, user.email || h("span", { class: "muted" }, "hidden")),
    h("td", {}, user.roles.join(", ")),
    h("td", {}, new Date(Number(user.createdAt) * 1000).toLocaleDateString()),
  );
}
