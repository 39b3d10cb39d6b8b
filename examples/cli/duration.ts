/**
 * Durations on the command line: "500ms", "10s", "5m", "1h" (as Go and
 * buf curl write them), so a deadline says its unit.
 */
import { UsageError } from "./usage-error.js";

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const MS_PER_UNIT = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;

export function parseDuration(text: string, flag: string): number {
  const match = DURATION.exec(text);
  const ms = match === null ? NaN : Number(match[1]) * MS_PER_UNIT[match[2] as keyof typeof MS_PER_UNIT];
  if (!(ms >= 1)) {
    throw new UsageError(`${flag} must be a duration such as 500ms, 10s, 5m or 1h, got "${text}"`);
  }
  return Math.round(ms);
}
