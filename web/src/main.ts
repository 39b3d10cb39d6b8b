/**
 * The app's composition root: session, call log and transport choice, the
 * clients built on them, the routes, and the page frame (navigation,
 * transport switch, call log panel).
 */
import { createApi, type Api } from "./api.js";
import { CallLog } from "./call-log/call-log.js";
import { createCallLogPanel } from "./call-log/call-log-panel.js";
import { createRouter, type Route } from "./router.js";
import { chatScreen } from "./screens/chat.js";
import { directoryScreen } from "./screens/directory.js";
import { logInScreen } from "./screens/log-in.js";
import { appLink } from "./screens/screen.js";
import { signUpScreen } from "./screens/sign-up.js";
import { userPageScreen } from "./screens/user-page.js";
import { Session } from "./session.js";
import { savedTransport, saveTransport, TRANSPORTS } from "./transports.js";
import { h } from "./ui/dom.js";
import "./styles.css";

const ROUTES: readonly Route[] = [
  { pattern: /^\/login$/, signedIn: false, screen: logInScreen },
  { pattern: /^\/signup$/, signedIn: false, screen: signUpScreen },
  { pattern: /^\/users$/, signedIn: true, screen: directoryScreen },
  { pattern: /^\/users\/([^/]+)$/, signedIn: true, screen: userPageScreen },
  { pattern: /^\/chat$/, signedIn: true, screen: chatScreen },
];

const session = new Session();
const callLog = new CallLog();
let api: Api;

const useTransport = (transport = savedTransport()) => {
  saveTransport(transport);
  api = createApi({ transport, callLog, session, onSessionEnded: endSession });
};

const outlet = h("main", { id: "main", tabindex: -1 });
const router = createRouter({
  routes: ROUTES,
  outlet,
  context: () => ({ api, session, navigate: router.navigate }),
  isSignedIn: () => session.user !== undefined,
  home: () => (session.user === undefined ? "/login" : "/users"),
});

/** The server refused the token: back to log in, then to where the user was. */
function endSession(): void {
  if (session.user === undefined) {
    return;
  }
  session.signOut();
  const here = location.hash.replace(/^#/, "").split("?")[0] ?? "/users";
  router.navigate(`/login?next=${encodeURIComponent(here)}`, "Your session has ended: log in again.");
}

const nav = h("nav", { "aria-label": "Main" });
const renderNav = () => {
  const user = session.user;
  const links =
    user === undefined
      ? [appLink("/login", "Log in"), appLink("/signup", "Sign up")]
      : [
          appLink("/users", "Users"),
          appLink("/chat", "Chat"),
          appLink(`/users/${user.userId}`, "My account"),
          h("button", { type: "button", class: "link", onclick: signOut }, `Sign out ${user.username}`),
        ];
  nav.replaceChildren(h("ul", {}, ...links.map((link) => h("li", {}, link))));
};
const signOut = () => {
  session.signOut();
  router.navigate("/login", "Signed out.");
};
session.onChange(renderNav);

const transportSelect = h(
  "select",
  {
    id: "transport",
    onchange: () => {
      useTransport(TRANSPORTS.find((t) => t.id === transportSelect.value));
      // Screens hold their streams on the old transport: start them again.
      router.render();
    },
  },
  ...TRANSPORTS.map((t) => h("option", { value: t.id }, t.label)),
);

useTransport();
transportSelect.value = api!.transport.id;
renderNav();
document.getElementById("app")!.replaceChildren(
  h(
    "header",
    { class: "top" },
    h("a", { class: "brand", href: "#/users" }, "User service"),
    nav,
    h("div", { class: "transport" }, h("label", { for: "transport" }, "Transport "), transportSelect),
  ),
  h("div", { class: "layout" }, outlet, h("aside", {}, createCallLogPanel(callLog))),
);
router.render();
