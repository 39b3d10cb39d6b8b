/**
 * What every screen gets and gives: it is built from the app's context and
 * the route's parameters, and it cleans up (aborts its streams) when the
 * user leaves it.
 */
import type { Api } from "../api.js";
import type { Session } from "../session.js";
import { h } from "../ui/dom.js";

export interface AppContext {
  readonly api: Api;
  readonly session: Session;
  /** Goes to an app path ("/users/42"), optionally with a notice shown on arrival. */
  navigate(path: string, notice?: string): void;
}

export interface RouteParams {
  /** The route pattern's capture groups. */
  readonly path: readonly string[];
  readonly query: URLSearchParams;
}

export interface Screen {
  readonly title: string;
  readonly view: HTMLElement;
  leave?(): void;
}

/** The screen's heading; it takes focus on arrival, so screen readers announce the new screen. */
export function screenHeading(title: string): HTMLHeadingElement {
  return h("h1", { tabindex: -1 }, title);
}

/** An in-app link. */
export function appLink(path: string, ...text: (string | Node)[]): HTMLAnchorElement {
  return h("a", { href: `#${path}` }, ...text);
}
