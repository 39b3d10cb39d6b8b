/**
 * The import's progress on standard error, which leaves standard output to
 * the imported users. On a terminal one line is redrawn in place; into a file
 * or a pipe, a line at the first update and then at most once a second, so a
 * log is not flooded.
 */
const TERMINAL_REDRAW_MS = 100;
const LOG_LINE_MS = 1_000;

export interface Progress {
  /** `sent` users of the file's `total` so far. */
  update(sent: number): void;
  /** Every user is sent; the server now creates them. */
  allSent(): void;
  /** The server answered: the import is done. */
  created(count: number): void;
}

export function createProgress(out: NodeJS.WriteStream, total: number): Progress {
  const started = Date.now();
  const terminal = out.isTTY === true;
  const interval = terminal ? TERMINAL_REDRAW_MS : LOG_LINE_MS;
  let lastShown = -Infinity;
  const show = (text: string, final: boolean) => {
    out.write(terminal ? `\r${text}\x1b[K${final ? "\n" : ""}` : `${text}\n`);
  };
  return {
    update(sent) {
      const now = Date.now();
      if (now - lastShown >= interval) {
        lastShown = now;
        show(`import: sent ${sent} of ${users(total)} (${Math.floor((sent / total) * 100)}%)`, false);
      }
    },
    allSent() {
      show(`import: sent all ${users(total)}; the server is creating them`, true);
    },
    created(count) {
      out.write(`import: created ${users(count)} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  };
}

function users(count: number): string {
  return count === 1 ? "1 user" : `${count} users`;
}
