/**
 * One line of a CSV file (RFC 4180) split into its fields: a field may be
 * quoted, so that it can hold commas (passwords do), with "" for a quote.
 * Fields spanning lines are not supported: no user field holds a newline.
 */
export function parseCsvRecord(line: string): string[] {
  const fields: string[] = [];
  let at = 0;
  for (;;) {
    let field: string;
    if (line[at] === '"') {
      [field, at] = quotedField(line, at + 1);
      if (at < line.length && line[at] !== ",") {
        throw new Error(`a quoted field must be followed by a comma, at column ${at + 1}`);
      }
    } else {
      const comma = line.indexOf(",", at);
      const end = comma === -1 ? line.length : comma;
      field = line.slice(at, end);
      at = end;
    }
    fields.push(field);
    if (at >= line.length) {
      return fields;
    }
    at++; // past the comma
  }
}

/** The field whose text starts at `from` (after its opening quote), and the index after its closing quote. */
function quotedField(line: string, from: number): [string, number] {
  let field = "";
  let at = from;
  for (;;) {
    const quote = line.indexOf('"', at);
    if (quote === -1) {
      throw new Error("a quoted field does not end on its line");
    }
    field += line.slice(at, quote);
    if (line[quote + 1] !== '"') {
      return [field, quote + 1];
    }
    field += '"';
    at = quote + 2;
  }
}
