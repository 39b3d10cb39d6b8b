/**
 * The rules for user fields, shared by CreateUser, UpdateUser and CreateUsers.
 * Each check returns the normalised value or throws INVALID_ARGUMENT with a
 * message that says what a valid value looks like.
 */
import { Code, ConnectError } from "@connectrpc/connect";

const USERNAME = /^[a-zA-Z0-9_.-]{3,32}$/;
// A pragmatic address shape: a dot-atom local part, then a domain of DNS
// labels ending in an alphabetic TLD. RFC 5321 caps the whole at 254 octets.
const EMAIL =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;
const EMAIL_MAX_LENGTH = 254;
const EMAIL_LOCAL_MAX_LENGTH = 64;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const PASSWORD_MIN_LENGTH = 8;
// Bounds the work one request can ask of the hasher.
export const PASSWORD_MAX_LENGTH = 1024;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function checkUsername(value: string, field = "username"): string {
  const username = value.trim();
  if (!USERNAME.test(username)) {
    throw invalid(`${field} must be 3 to 32 characters of letters, digits, "_", "." or "-"`);
  }
  return username;
}

export function checkEmail(value: string, field = "email"): string {
  const email = value.trim();
  if (
    email.length > EMAIL_MAX_LENGTH ||
    email.indexOf("@") > EMAIL_LOCAL_MAX_LENGTH ||
    !EMAIL.test(email)
  ) {
    throw invalid(`${field} must be an email address such as ada@example.com`);
  }
  return email;
}

export function checkPassword(value: string, field = "password"): string {
  // Code points, not UTF-16 units: an emoji counts as one character. A string
  // of more than twice the cap in UTF-16 units is over it either way.
  const length = value.length > 2 * PASSWORD_MAX_LENGTH ? Infinity : [...value].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw invalid(`${field} must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long`);
  }
  return value;
}

export function checkId(value: string, field = "id"): string {
  if (value === "") {
    throw invalid(`${field} is required`);
  }
  const id = value.toLowerCase();
  if (!isUuid(id)) {
    throw invalid(`${field} must be a user id (a UUID such as 0b7c1f52-4f0e-4d4e-9a51-0b8d8b0c6f31)`);
  }
  return id;
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}
