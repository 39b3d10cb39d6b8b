/**
 * Forms whose fields map to request fields. The browser's own validation is
 * off: the server's rules (from the contract) are the ones that count, and
 * their violations come back under the inputs they concern.
 */
import { h } from "./dom.js";
import { describeError, errorAlert } from "./error-view.js";

export interface FieldSpec {
  /** The request field's name in the .proto file, as violations name it. */
  readonly name: string;
  readonly label: string;
  readonly type?: "text" | "email" | "password";
  readonly autocomplete?: string;
  readonly value?: string;
  readonly hint?: string;
  readonly required?: boolean;
}

export interface FormOptions {
  /** Prefix of the element ids; unique on the page. */
  readonly id: string;
  readonly fields: readonly FieldSpec[];
  readonly submitLabel: string;
  /** Runs on submit; an error it throws is shown on the form. */
  readonly onSubmit: (form: Form) => Promise<void>;
  /** Extra controls after the fields, such as the roles editor. */
  readonly extra?: readonly Node[];
}

export interface Form {
  readonly element: HTMLFormElement;
  value(name: string): string;
  showError(e: unknown): void;
}

export function createForm({ id, fields, submitLabel, onSubmit, extra = [] }: FormOptions): Form {
  const inputs = new Map<string, HTMLInputElement>();
  const errorSlots = new Map<string, HTMLElement>();
  const formAlert = h("div", { class: "form-alert" });
  const submit = h("button", { type: "submit" }, submitLabel);

  const rows = fields.map((field) => {
    const inputId = `${id}-${field.name}`;
    const hintId = `${inputId}-hint`;
    const errorId = `${inputId}-error`;
    const input = h("input", {
      id: inputId,
      name: field.name,
      type: field.type ?? "text",
      autocomplete: field.autocomplete,
      value: field.value,
      "aria-required": field.required ? "true" : undefined,
      "aria-describedby": [field.hint && hintId, errorId].filter(Boolean).join(" "),
    });
    const errorSlot = h("p", { id: errorId, class: "field-error", "data-field": field.name });
    inputs.set(field.name, input);
    errorSlots.set(field.name, errorSlot);
    return h(
      "div",
      { class: "field" },
      h("label", { for: inputId }, field.label),
      field.hint && h("p", { id: hintId, class: "hint" }, field.hint),
      input,
      errorSlot,
    );
  });

  const clearErrors = () => {
    formAlert.replaceChildren();
    for (const [name, slot] of errorSlots) {
      slot.replaceChildren();
      inputs.get(name)!.removeAttribute("aria-invalid");
    }
  };

  const form: Form = {
    element: h("form", { id, novalidate: true }, ...rows, ...extra, formAlert, h("div", { class: "actions" }, submit)),
    value: (name) => inputs.get(name)?.value ?? "",
    showError(e) {
      clearErrors();
      const error = describeError(e);
      formAlert.append(errorAlert(error));
      let first: HTMLInputElement | undefined;
      for (const [name, messages] of error.fieldErrors) {
        const input = inputs.get(name);
        if (input !== undefined) {
          input.setAttribute("aria-invalid", "true");
          errorSlots.get(name)!.textContent = messages.join("; ");
          first ??= input;
        }
      }
      first?.focus();
    },
  };

  form.element.addEventListener("submit", (event) => {
    event.preventDefault();
    if (submit.disabled) {
      return;
    }
    clearErrors();
    submit.disabled = true;
    form.element.setAttribute("aria-busy", "true");
    onSubmit(form)
      .catch((e: unknown) => form.showError(e))
      .finally(() => {
        submit.disabled = false;
        form.element.removeAttribute("aria-busy");
      });
  });
  return form;
}
