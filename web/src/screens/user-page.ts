/**
 * One user: their details, an edit form (UpdateUser sends only the fields
 * that changed) and deletion with a confirmation step. The server decides
 * who may do what; a refusal is shown with its code where it happened.
 */
import type { User } from "../../../gen/user/v1/user_pb.js";
import { h } from "../ui/dom.js";
import { describeError, errorAlert } from "../ui/error-view.js";
import { createForm } from "../ui/form.js";
import { screenHeading, type AppContext, type RouteParams, type Screen } from "./screen.js";

const ROLES = ["user", "admin"];

export function userPageScreen(ctx: AppContext, { path: [id = ""] }: RouteParams): Screen {
  const heading = screenHeading("User");
  const body = h("div", {}, h("p", { role: "status" }, "Loading…"));
  const abort = new AbortController();

  ctx.api.users.getUser({ id }, { signal: abort.signal }).then(
    (user) => {
      heading.textContent = user.username;
      document.title = `${user.username} · User service`;
      body.replaceChildren(details(user), editSection(ctx, user), deleteSection(ctx, user));
    },
    (e: unknown) => {
      if (!abort.signal.aborted) {
        body.replaceChildren(errorAlert(describeError(e)));
      }
    },
  );
  return { title: "User", view: h("section", {}, heading, body), leave: () => abort.abort() };
}

function details(user: User): HTMLElement {
  const entry = (term: string, value: string | Node) => [h("dt", {}, term), h("dd", {}, value)];
  return h(
    "dl",
    { class: "details" },
    ...entry("Username", user.username),
    ...entry("Email", user.email || h("span", { class: "muted" }, "hidden (only its owner and admins see it)")),
    ...entry("Roles", user.roles.join(", ")),
    ...entry("Joined", new Date(Number(user.createdAt) * 1000).toLocaleString()),
    ...entry("Id", h("code", {}, user.id)),
  );
}

function editSection(ctx: AppContext, user: User): HTMLElement {
  const saved = h("p", { role: "status" });
  // Only admins may change roles, so only they get the editor.
  const roleBoxes = ctx.session.isAdmin
    ? ROLES.map((role) => h("input", { type: "checkbox", id: `edit-role-${role}`, value: role, checked: user.roles.includes(role) }))
    : [];
  const rolesEditor = roleBoxes.length
    ? [
        h(
          "fieldset",
          { class: "roles" },
          h("legend", {}, "Roles"),
          ...roleBoxes.map((box) => h("label", { for: box.id }, box, ` ${box.value}`)),
        ),
      ]
    : [];
  const form = createForm({
    id: "edit",
    fields: [
      { name: "username", label: "Username", autocomplete: "off", value: user.username },
      { name: "email", label: "Email", type: "email", autocomplete: "off", value: user.email },
    ],
    submitLabel: "Save changes",
    extra: rolesEditor,
    async onSubmit(form) {
      saved.textContent = "";
      const username = form.value("username");
      const email = form.value("email");
      const roles = roleBoxes.filter((box) => box.checked).map((box) => box.value);
      const rolesChanged = roleBoxes.length > 0 && roles.join() !== user.roles.join();
      const patch = {
        id: user.id,
        ...(username !== user.username && { username }),
        ...(email !== user.email && email !== "" && { email }),
        ...(rolesChanged && { roles }),
      };
      if (Object.keys(patch).length === 1) {
        saved.textContent = "Nothing changed.";
        return;
      }
      const updated = await ctx.api.users.updateUser(patch);
      // Shows the page again from the server, with the saved values.
      ctx.navigate(`/users/${updated.id}`, `Saved ${updated.username}.`);
    },
  });
  return h("section", { "aria-labelledby": "edit-title" }, h("h2", { id: "edit-title" }, "Edit"), form.element, saved);
}

function deleteSection(ctx: AppContext, user: User): HTMLElement {
  const outcome = h("div");
  const confirmation = h(
    "div",
    { class: "confirm", hidden: true },
    h("p", {}, `Delete ${user.username} permanently? This cannot be undone.`),
    h("button", { type: "button", class: "danger", onclick: () => void remove() }, `Delete ${user.username}`),
    h("button", { type: "button", class: "secondary", onclick: () => toggle(false) }, "Keep"),
  );
  const start = h("button", { type: "button", class: "danger", onclick: () => toggle(true) }, "Delete account…");
  const toggle = (confirming: boolean) => {
    confirmation.hidden = !confirming;
    start.hidden = confirming;
    (confirming ? confirmation.querySelector("button") : start)?.focus();
  };
  async function remove(): Promise<void> {
    outcome.replaceChildren();
    try {
      await ctx.api.users.deleteUser({ id: user.id });
    } catch (e) {
      toggle(false);
      outcome.replaceChildren(errorAlert(describeError(e)));
      return;
    }
    if (user.id === ctx.session.user?.userId) {
      ctx.session.signOut();
      ctx.navigate("/login", `Account ${user.username} deleted.`);
    } else {
      ctx.navigate("/users", `Deleted ${user.username}.`);
    }
  }
  return h(
    "section",
    { "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete"),
    start,
    confirmation,
    outcome,
  );
}
