/** Every screen fits a phone-sized and a desktop-sized window. */
import { expect, signedIn, test } from "./fixtures.js";

const WINDOWS = [
  { name: "phone", width: 375, height: 740 },
  { name: "desktop", width: 1280, height: 800 },
];

for (const size of WINDOWS) {
  test(`every screen fits a ${size.name}-sized window`, async ({ app }) => {
    await app.setViewportSize(size);
    const fits = async (heading: string) => {
      await expect(app.getByRole("heading", { name: heading, level: 1 })).toBeVisible();
      const overflow = await app.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `the ${heading} screen scrolls sideways`).toBeLessThanOrEqual(0);
    };
    await app.goto("/#/signup");
    await fits("Sign up");
    const username = await signedIn(app, "narrow");
    await fits("Users");
    await app.getByRole("link", { name: "My account" }).click();
    await fits(username);
    await app.getByRole("link", { name: "Chat" }).click();
    await fits("Chat");
  });
}
