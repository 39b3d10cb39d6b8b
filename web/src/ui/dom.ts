/**
 * A small element builder: the app's views are plain DOM, built by
 * functions that read like the markup they make.
 */
type Child = Node | string | number | false | null | undefined;
type Attributes = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

/**
 * `h("button", { type: "button", onclick: save }, "Save")`. Attributes that
 * are functions become event listeners; `false` and `undefined` are left out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === "function") {
      element.addEventListener(name.replace(/^on/, ""), value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else if (value !== false && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children) {
    if (child instanceof Node) {
      element.append(child);
    } else if (child !== false && child != null) {
      element.append(String(child));
    }
  }
  return element;
}
