/**
 * The chat room across clients: two browsers (ChatSubscribe + SendChatMessage
 * over the project's transport) and a native Node client on the
 * bidirectional Chat over gRPC, each seeing the others' messages.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createWritableIterable } from "@connectrpc/connect/protocol";
import type { Page } from "@playwright/test";
import type { ChatMessage, ChatMessageSchema } from "../../gen/user/v1/user_pb.js";
import { expect, signedIn, test } from "./fixtures.js";
import { nativeUser } from "./native-client.js";

const messagesOf = (page: Page) => page.getByRole("log", { name: "Conversation" });

async function send(page: Page, text: string): Promise<void> {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
  await expect(page.getByLabel("Message")).toHaveValue("");
}

test("two browsers and a native bidi client see each other's messages", async ({ app, browser, transport, baseURL }) => {
  const alice = await signedIn(app, "alice");
  await app.getByRole("link", { name: "Chat" }).click();

  const otherContext = await browser.newContext({ baseURL });
  const bobPage = await otherContext.newPage();
  await bobPage.goto("/");
  await bobPage.getByLabel("Transport").selectOption(transport);
  const bob = await signedIn(bobPage, "bob");
  await bobPage.getByRole("link", { name: "Chat" }).click();

  const carol = await nativeUser(baseURL!, "carol");
  const outgoing = createWritableIterable<MessageInitShape<typeof ChatMessageSchema>>();
  const received: ChatMessage[] = [];
  const abort = new AbortController();
  const reading = (async () => {
    for await (const message of carol.client.chat(outgoing, { signal: abort.signal })) {
      received.push(message);
    }
  })().catch(() => {});

  try {
    // Joining takes a moment and the room keeps no history: Carol speaks
    // until everyone has heard her, so all three are in the room.
    const hello = `hello from ${carol.username}`;
    await expect(async () => {
      await outgoing.write({ text: hello });
      await expect(messagesOf(app)).toContainText(hello, { timeout: 300 });
      await expect(messagesOf(bobPage)).toContainText(hello, { timeout: 300 });
    }).toPass({ timeout: 10_000 });

    await send(app, `hi from ${alice}`);
    await send(bobPage, `hi from ${bob}`);
    await outgoing.write({ text: `bye from ${carol.username}` });

    for (const page of [app, bobPage]) {
      await expect(messagesOf(page)).toContainText(`hi from ${alice}`);
      await expect(messagesOf(page)).toContainText(`hi from ${bob}`);
      await expect(messagesOf(page)).toContainText(`bye from ${carol.username}`);
    }
    // Senders are named: one's own messages as "(you)", others' by username.
    await expect(messagesOf(app).getByRole("listitem").filter({ hasText: `hi from ${bob}` })).toContainText(bob);
    await expect(messagesOf(bobPage).getByRole("listitem").filter({ hasText: `hi from ${bob}` })).toContainText(`${bob} (you)`);
    await expect(messagesOf(app).getByRole("listitem").filter({ hasText: `bye from ${carol.username}` })).toContainText(carol.username);

    await expect(() => {
      const texts = received.map((m) => m.text);
      expect(texts).toContain(`hi from ${alice}`);
      expect(texts).toContain(`hi from ${bob}`);
    }).toPass({ timeout: 10_000 });
  } finally {
    outgoing.close();
    abort.abort();
    await reading;
    await otherContext.close();
  }
});

test("an empty message is refused under the input", async ({ app }) => {
  await signedIn(app, "quiet");
  await app.getByRole("link", { name: "Chat" }).click();
  await app.getByLabel("Message").fill("   ");
  await app.getByRole("button", { name: "Send" }).click();
  await expect(app.locator("#chat-text-error")).toHaveText(/must not be empty or only whitespace/);
});
