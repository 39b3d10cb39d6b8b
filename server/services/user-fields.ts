/**
 * The canonical form of user fields, shared by CreateUser, UpdateUser and
 * CreateUsers. The values have already passed the contract's buf.validate
 * rules (server/interceptors/validation.ts); what the rules allow but we do
 * not store is removed here.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The rules let surrounding whitespace through (ASCII only, which trim()
 * removes entirely), so what is stored is exactly what the pattern checked.
 */
export function normalizeUsername(value: string): string {
  return value.trim();
}

export function normalizeEmail(value: string): string {
  return value.trim();
}

/** Ids are stored in lower case; the rules accept a UUID in either case. */
export function normalizeId(value: string): string {
  return value.toLowerCase();
}
