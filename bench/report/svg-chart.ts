/**
 * The charts as one hand-written SVG: a panel per chart, a horizontal bar per
 * figure (its median) with a whisker from min to max. Each panel has its own
 * scale, from zero. No dependency: the markup is simple enough to write out.
 */
import { formatNumber } from "./format.js";
import type { Chart } from "./results.js";

const WIDTH = 960;
const LABEL_WIDTH = 360;
const VALUE_WIDTH = 150;
const BAR_AREA = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20;
const BAR_HEIGHT = 16;
const ROW_HEIGHT = 24;
const TITLE_HEIGHT = 40;
const PANEL_GAP = 18;
const COLORS = ["#2f6db5", "#d9822b", "#3a9b5c", "#8e5ab5", "#c0392b", "#6b7a8f"];

export function renderSvg(charts: readonly Chart[], caption: string): string {
  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="10" y="20" font-size="14" font-weight="bold">${escape(caption)}</text>`);
  for (const chart of charts) {
    parts.push(...renderPanel(chart, y));
    y += TITLE_HEIGHT + chart.bars.length * ROW_HEIGHT + PANEL_GAP;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}

function renderPanel(chart: Chart, top: number): string[] {
  const scaleMax = Math.max(...chart.bars.map((bar) => bar.summary.max), chart.target?.value ?? 0) * 1.05 || 1;
  const x = (value: number) => LABEL_WIDTH + (value / scaleMax) * BAR_AREA;
  const parts = [`<text x="10" y="${top + 18}" font-size="13" font-weight="bold">${escape(`${chart.title} (${chart.unit})`)}</text>`];
  const groups = [...new Set(chart.bars.map((bar) => bar.group))];
  chart.bars.forEach((bar, i) => {
    const y = top + TITLE_HEIGHT + i * ROW_HEIGHT;
    const middle = y + BAR_HEIGHT / 2;
    const { median, min, max } = bar.summary;
    const color = COLORS[groups.indexOf(bar.group) % COLORS.length];
    parts.push(
      `<text x="${LABEL_WIDTH - 8}" y="${middle + 4}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${LABEL_WIDTH}" y="${y}" width="${(x(median) - LABEL_WIDTH).toFixed(1)}" height="${BAR_HEIGHT}" fill="${color}"/>`,
      `<line x1="${x(min).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${middle}" y2="${middle}" stroke="#222"/>`,
      `<line x1="${x(min).toFixed(1)}" x2="${x(min).toFixed(1)}" y1="${y + 3}" y2="${y + BAR_HEIGHT - 3}" stroke="#222"/>`,
      `<line x1="${x(max).toFixed(1)}" x2="${x(max).toFixed(1)}" y1="${y + 3}" y2="${y + BAR_HEIGHT - 3}" stroke="#222"/>`,
      `<text x="${WIDTH - VALUE_WIDTH}" y="${middle + 4}">${escape(formatNumber(median, median < 100 ? 1 : 0))}</text>`,
    );
  });
  if (chart.target !== undefined) {
    const at = x(chart.target.value).toFixed(1);
    const bottom = top + TITLE_HEIGHT + chart.bars.length * ROW_HEIGHT;
    parts.push(
      `<line x1="${at}" x2="${at}" y1="${top + TITLE_HEIGHT - 4}" y2="${bottom - 4}" stroke="#c0392b" stroke-dasharray="4 3"/>`,
      `<text x="${at}" y="${top + TITLE_HEIGHT - 6}" text-anchor="middle" font-size="11" fill="#c0392b">${escape(chart.target.label)}</text>`,
    );
  }
  return parts;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
