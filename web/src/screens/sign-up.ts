/** Sign up: CreateUser, the one call that needs no token. */
import { createForm } from "../ui/form.js";
import { h } from "../ui/dom.js";
import { appLink, screenHeading, type AppContext, type Screen } from "./screen.js";

export function signUpScreen(ctx: AppContext): Screen {
  const form = createForm({
    id: "signup",
    fields: [
      {
        name: "username",
        label: "Username",
        autocomplete: "username",
        hint: "3 to 32 letters, digits, “_”, “.” or “-”.",
        required: true,
      },
      { name: "email", label: "Email", type: "email", autocomplete: "email", required: true },
      {
        name: "password",
        label: "Password",
        type: "password",
        autocomplete: "new-password",
        hint: "At least 8 characters.",
        required: true,
      },
    ],
    submitLabel: "Create account",
    async onSubmit(form) {
      const user = await ctx.api.users.createUser({
        username: form.value("username"),
        email: form.value("email"),
        password: form.value("password"),
      });
      ctx.navigate(`/login?username=${encodeURIComponent(user.username)}`, `Account ${user.username} created: log in.`);
    },
  });
  return {
    title: "Sign up",
    view: h(
      "section",
      { class: "narrow" },
      screenHeading("Sign up"),
      form.element,
      h("p", {}, "Already have an account? ", appLink("/login", "Log in")),
    ),
  };
}
