/**
 * Reads a file of new users for CreateUsers:
 * - CSV: a header line naming the columns username, email and password (in
 *   any order), then one user per line;
 * - JSONL: one CreateUserRequest per line in Connect JSON,
 *   {"username": "...", "email": "...", "password": "..."}.
 * Blank lines are skipped.
 *
 * The file is read twice, a line at a time: first to check every line and
 * count the users, then to send them. A bad line must fail the import before
 * the call starts: a stream the client cancels half-way is not safely
 * discarded, as Node ends an HTTP/2 stream (END_STREAM) before it resets it,
 * and for a moment the server sees a complete import.
 */
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { fromJsonString, type MessageInitShape } from "@bufbuild/protobuf";
import { CreateUserRequestSchema } from "../../../gen/user/v1/user_pb.js";
import { UsageError } from "../usage-error.js";
import { parseCsvRecord } from "./csv-record.js";

export type UsersFileFormat = "csv" | "jsonl";
type NewUser = MessageInitShape<typeof CreateUserRequestSchema>;

export interface UsersFile {
  /** How many users the file holds. */
  readonly count: number;
  /** Reads the users again, one at a time, as they are sent. */
  users(): AsyncGenerator<NewUser>;
}

/** Turns a line into a user, or undefined for a line that is not one (the CSV header). */
type LineParser = (line: string) => NewUser | undefined;

const FORMAT_BY_EXTENSION: Readonly<Record<string, UsersFileFormat>> = { ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl" };
const CSV_COLUMNS = ["username", "email", "password"] as const;

/** The format a --format flag names, or else the file's extension. */
export function formatOf(path: string, flag: string | undefined): UsersFileFormat {
  const format = flag ?? FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
  if (format !== "csv" && format !== "jsonl") {
    throw new UsageError(`say --format csv or --format jsonl: "${path}" is neither a .csv nor a .jsonl file`);
  }
  return format;
}

/** Checks every line of the file and counts its users; fails on the first bad line, naming it. */
export async function readUsersFile(path: string, format: UsersFileFormat): Promise<UsersFile> {
  let count = 0;
  for await (const _ of parseUsers(path, format)) {
    count++;
  }
  return { count, users: () => parseUsers(path, format) };
}

async function* parseUsers(path: string, format: UsersFileFormat): AsyncGenerator<NewUser> {
  const parse = format === "csv" ? csvParser() : parseJsonLine;
  const input = (await open(path)).createReadStream({ encoding: "utf8" });
  let lineNumber = 0;
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      lineNumber++;
      if (line.trim() === "") {
        continue;
      }
      let user: NewUser | undefined;
      try {
        user = parse(line);
      } catch (e) {
        throw new Error(`${path} line ${lineNumber}: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (user !== undefined) {
        yield user;
      }
    }
  } finally {
    // Also when reading stops early: closes the file.
    input.destroy();
  }
}

function parseJsonLine(line: string): NewUser {
  // Unknown keys are errors, so a misspelt one is not dropped without a word.
  return fromJsonString(CreateUserRequestSchema, line);
}

/** The first line read is the header; it says which column is which. */
function csvParser(): LineParser {
  let columns: Record<(typeof CSV_COLUMNS)[number], number> | undefined;
  return (line) => {
    const fields = parseCsvRecord(line);
    if (columns === undefined) {
      columns = csvColumns(fields);
      return undefined;
    }
    if (fields.length !== CSV_COLUMNS.length) {
      throw new Error(`expected ${CSV_COLUMNS.length} fields (${CSV_COLUMNS.join(", ")}), got ${fields.length}`);
    }
    return {
      username: fields[columns.username]!,
      email: fields[columns.email]!,
      password: fields[columns.password]!,
    };
  };
}

function csvColumns(header: string[]): Record<(typeof CSV_COLUMNS)[number], number> {
  const names = header.map((name) => name.trim().toLowerCase());
  if (names.length !== CSV_COLUMNS.length || !CSV_COLUMNS.every((column) => names.includes(column))) {
    throw new Error(`the first line must name the columns ${CSV_COLUMNS.join(", ")} (in any order), got "${header.join(",")}"`);
  }
  return {
    username: names.indexOf("username"),
    email: names.indexOf("email"),
    password: names.indexOf("password"),
  };
}
