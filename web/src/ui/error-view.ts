/**
 * How a failed call is shown: its code and message, plus the rule
 * violations the server attached (a buf.validate.Violations detail), keyed
 * by the request field they concern so forms can show each under its input.
 */
import { ConnectError } from "@connectrpc/connect";
import { ViolationsSchema } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { codeName } from "../code-name.js";
import { h } from "./dom.js";

export interface DescribedError {
  /** "invalid_argument" */
  readonly code: string;
  readonly message: string;
  /** Field name as in the .proto file ("username") → what is wrong with it. */
  readonly fieldErrors: ReadonlyMap<string, readonly string[]>;
}

export function describeError(e: unknown): DescribedError {
  const error = ConnectError.from(e);
  const fieldErrors = new Map<string, string[]>();
  for (const { violations } of error.findDetails(ViolationsSchema)) {
    for (const violation of violations) {
      const field = violation.field?.elements[0]?.fieldName;
      if (field !== undefined) {
        fieldErrors.set(field, [...(fieldErrors.get(field) ?? []), violation.message]);
      }
    }
  }
  return { code: codeName(error.code), message: error.rawMessage, fieldErrors };
}

/** An alert announcing the error, e.g. "permission_denied: only the account's owner…". */
export function errorAlert(error: DescribedError): HTMLElement {
  return h("p", { class: "error", role: "alert" }, h("code", { class: "error-code" }, error.code), ": ", error.message);
}
