/**
 * The chat room. Browsers cannot stream requests over fetch, so this screen
 * joins with the ChatSubscribe server stream and posts with the unary
 * SendChatMessage; native clients on the bidirectional Chat share the same
 * room. Every message arrives through the subscription, the sender's own
 * included, so all members see one order.
 */
import type { ChatMessage } from "../../../gen/user/v1/user_pb.js";
import { h } from "../ui/dom.js";
import { describeError, errorAlert } from "../ui/error-view.js";
import { createForm } from "../ui/form.js";
import { screenHeading, type AppContext, type Screen } from "./screen.js";

export function chatScreen(ctx: AppContext): Screen {
  const abort = new AbortController();
  const state = h("p", { role: "status", class: "room-state" });
  const messages = h("ol", { class: "messages", role: "log", "aria-label": "Conversation" });
  const usernames = createUsernameCache(ctx);

  async function join(): Promise<void> {
    state.replaceChildren("Joining the room…");
    try {
      for await (const message of ctx.api.users.chatSubscribe({}, { signal: abort.signal })) {
        state.replaceChildren("In the room.");
        messages.append(messageItem(message, usernames));
        messages.lastElementChild?.scrollIntoView({ block: "nearest" });
      }
      state.replaceChildren("The server closed the room. ", rejoinButton());
    } catch (e) {
      if (!abort.signal.aborted) {
        state.replaceChildren(errorAlert(describeError(e)), rejoinButton());
      }
    }
  }
  const rejoinButton = () => h("button", { type: "button", onclick: () => void join() }, "Rejoin");

  const form = createForm({
    id: "chat",
    fields: [{ name: "text", label: "Message", autocomplete: "off" }],
    submitLabel: "Send",
    async onSubmit(form) {
      await ctx.api.users.sendChatMessage({ text: form.value("text") });
      form.element.reset();
    },
  });

  void join();
  return {
    title: "Chat",
    view: h("section", { class: "chat" }, screenHeading("Chat"), state, messages, form.element),
    leave: () => abort.abort(),
  };
}

function messageItem(message: ChatMessage, usernames: (userId: string) => Promise<string>): HTMLLIElement {
  const author = h("span", { class: "author" }, "…");
  void usernames(message.userId).then((name) => (author.textContent = name));
  const sentAt = new Date(Number(message.timestamp));
  return h(
    "li",
    {},
    author,
    " ",
    h("time", { datetime: sentAt.toISOString() }, sentAt.toLocaleTimeString()),
    h("p", {}, message.text),
  );
}

/** Messages carry user ids; names are looked up once per sender. */
function createUsernameCache(ctx: AppContext): (userId: string) => Promise<string> {
  const names = new Map<string, Promise<string>>();
  const me = ctx.session.user;
  if (me !== undefined) {
    names.set(me.userId, Promise.resolve(`${me.username} (you)`));
  }
  return (userId) => {
    let name = names.get(userId);
    if (name === undefined) {
      name = ctx.api.users.getUser({ id: userId }).then(
        (user) => user.username,
        // A deleted account or a token from elsewhere: show the id.
        () => `user ${userId.slice(0, 8)}`,
      );
      names.set(userId, name);
    }
    return name;
  };
}
