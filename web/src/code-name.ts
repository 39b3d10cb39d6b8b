import type { Code } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";

/**
 * A status code as the protocols spell it ("permission_denied"), which is
 * also how the server's docs and logs name it; a success is "ok".
 */
export function codeName(code: Code | undefined): string {
  return code === undefined ? "ok" : codeToString(code);
}
