/** Log in: Login returns an access token, kept for this tab's session. */
import { createForm } from "../ui/form.js";
import { h } from "../ui/dom.js";
import { appLink, screenHeading, type AppContext, type RouteParams, type Screen } from "./screen.js";

export function logInScreen(ctx: AppContext, { query }: RouteParams): Screen {
  const form = createForm({
    id: "login",
    fields: [
      { name: "username", label: "Username", autocomplete: "username", value: query.get("username") ?? undefined, required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true },
    ],
    submitLabel: "Log in",
    async onSubmit(form) {
      const username = form.value("username").trim();
      const { accessToken, expiresAt } = await ctx.api.auth.login({ username, password: form.value("password") });
      ctx.session.signIn(accessToken, username, Number(expiresAt));
      // Only app paths: a crafted link must not send the user elsewhere.
      const next = query.get("next");
      ctx.navigate(next?.startsWith("/") ? next : "/users", `Signed in as ${username}.`);
    },
  });
  return {
    title: "Log in",
    view: h(
      "section",
      { class: "narrow" },
      screenHeading("Log in"),
      form.element,
      h("p", {}, "No account yet? ", appLink("/signup", "Sign up")),
    ),
  };
}
