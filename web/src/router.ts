/**
 * Hash routes (`#/users/42`): the server serves one page, and every app path
 * is handled here. Screens that need a signed-in user send others to log in
 * first, and come back after.
 */
import type { AppContext, RouteParams, Screen } from "./screens/screen.js";
import { h } from "./ui/dom.js";

export interface Route {
  readonly pattern: RegExp;
  readonly signedIn: boolean;
  readonly screen: (ctx: AppContext, params: RouteParams) => Screen;
}

export interface RouterOptions {
  readonly routes: readonly Route[];
  readonly outlet: HTMLElement;
  readonly context: () => AppContext;
  readonly isSignedIn: () => boolean;
  readonly home: () => string;
}

export interface Router {
  /** Shows the screen for the current location (again). */
  render(): void;
  navigate(path: string, notice?: string): void;
}

export function createRouter({ routes, outlet, context, isSignedIn, home }: RouterOptions): Router {
  let current: Screen | undefined;
  let notice: string | undefined;

  const router: Router = {
    render() {
      const [path = "/", search = ""] = location.hash.replace(/^#/, "").split("?", 2);
      const match = routes.map((route) => ({ route, groups: route.pattern.exec(path) })).find((m) => m.groups !== null);
      if (match === undefined) {
        return router.navigate(home());
      }
      if (match.route.signedIn && !isSignedIn()) {
        return router.navigate(`/login?next=${encodeURIComponent(path)}`, "Log in to see that page.");
      }
      current?.leave?.();
      current = match.route.screen(context(), {
        path: match.groups!.slice(1).map((g) => decodeURIComponent(g ?? "")),
        query: new URLSearchParams(search),
      });
      const shownNotice = notice === undefined ? false : h("p", { class: "notice", role: "status" }, notice);
      notice = undefined;
      outlet.replaceChildren(...[shownNotice, current.view].filter((n): n is HTMLElement => n !== false));
      document.title = `${current.title} · User service`;
      outlet.querySelector("h1")?.focus();
    },
    navigate(path, newNotice) {
      notice = newNotice;
      if (location.hash === `#${path}`) {
        router.render();
      } else {
        location.hash = path;
      }
    },
  };
  addEventListener("hashchange", () => router.render());
  return router;
}
