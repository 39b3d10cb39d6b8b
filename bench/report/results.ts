/**
 * What a scenario hands to the report: a table (columns and rows of cells),
 * bar charts, the commands it ran and its notes. Figures keep every round's
 * sample; the report shows their median and spread.
 */
import { summarize, type Summary } from "../stats/summary.js";

export type Cell =
  /** The median of the rounds with its min–max spread. */
  | { readonly figure: Summary; readonly digits: number }
  /** A ratio of medians, shown as 1.23×. */
  | { readonly ratio: number }
  | { readonly text: string };

export interface Column {
  readonly key: string;
  readonly title: string;
}

export type Row = Readonly<Record<string, Cell | undefined>>;

export interface Chart {
  readonly title: string;
  readonly unit: string;
  /** Bars of the same group share a colour (e.g. one protocol's servers). */
  readonly bars: readonly { readonly label: string; readonly summary: Summary; readonly group?: string }[];
  /** A goal drawn as a dashed line across the bars. */
  readonly target?: { readonly value: number; readonly label: string };
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** What was measured and how, in a few sentences. */
  readonly about: readonly string[];
  readonly columns: readonly Column[];
  readonly rows: readonly Row[];
  readonly charts: readonly Chart[];
  /** The commands the scenario ran, as a reader would type them. */
  readonly commands: readonly string[];
  /** Observations and caveats, one a line. */
  readonly notes: readonly string[];
}

export function figure(samples: readonly number[], digits = 0): Cell {
  return { figure: summarize(samples), digits };
}

export function text(value: string): Cell {
  return { text: value };
}

/** The ratio of two figures' medians, or undefined when either is missing. */
export function ratio(of: Cell | undefined, to: Cell | undefined): Cell | undefined {
  if (of === undefined || to === undefined || !("figure" in of) || !("figure" in to) || to.figure.median === 0) {
    return undefined;
  }
  return { ratio: of.figure.median / to.figure.median };
}

/** The summary behind a figure cell. */
export function summaryOf(cell: Cell | undefined): Summary | undefined {
  return cell !== undefined && "figure" in cell ? cell.figure : undefined;
}
