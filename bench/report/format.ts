/** Numbers as the report writes them: thousands separated, a fixed number of decimals. */

export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) {
    return "–";
  }
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRate(perSecond: number): string {
  return formatNumber(perSecond, 0);
}

export function formatMiB(bytes: number): string {
  return formatNumber(bytes / (1024 * 1024), 1);
}

/** Seconds with a unit h2load accepts: "10s", or "1500ms" when fractional. */
export function formatDuration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}
