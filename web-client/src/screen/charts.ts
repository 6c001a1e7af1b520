// Small inline-SVG charts for the risk panel and the analysis view: a 30-day
// sparkline coloured by level, a bar per day, a stacked bar of parts. Plain
// strings, no chart library: a wall screen draws a few dozen shapes.

import { esc } from '../shared/format';
import { RISK_COLOURS } from './palette';
import type { RiskLevel } from './riskModel';

/** Bar heights for counts: the largest fills `height`; any count above 0 shows at least 1. */
export function scaleBars(counts: number[], height: number): number[] {
  const max = Math.max(0, ...counts);
  if (max === 0) return counts.map(() => 0);
  return counts.map((c) => (c <= 0 ? 0 : Math.max(1, (c / max) * height)));
}

const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Where each day of a trend sits on a fixed `days`-day axis ending today (the
 * last value): a short history lies at the right, as it happened. y grows down,
 * 0 at the bottom, the largest value (at least 1) at the top.
 */
export function sparkPoints(values: number[], w: number, h: number, pad = 3, days = 30): [number, number][] {
  const max = Math.max(1, ...values);
  const step = (w - 2 * pad) / Math.max(1, days - 1);
  const n = values.length;
  return values.map((v, i) => [r1(w - pad - (n - 1 - i) * step), r1(h - pad - (v / max) * (h - 2 * pad))]);
}

/** The SVG path through the points: `M x y L x y …`. */
export function sparklinePath(values: number[], w: number, h: number, pad = 3, days = 30): string {
  return sparkPoints(values, w, h, pad, days)
    .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x} ${y}`)
    .join(' ');
}

export interface TrendPoint {
  day: string;
  score: number;
  level: RiskLevel;
}

/** The trend: a line in today's level colour, a dot per day in that day's level colour. */
export function sparklineSvg(trend: TrendPoint[], w = 280, h = 56): string {
  if (trend.length === 0) return '';
  const values = trend.map((p) => p.score);
  const pts = sparkPoints(values, w, h);
  const today = trend[trend.length - 1]!;
  const colour = RISK_COLOURS[today.level] ?? RISK_COLOURS[4];
  const dots = pts
    .map(([x, y], i) => {
      const p = trend[i]!;
      return `<circle cx="${x}" cy="${y}" r="2.2" fill="${RISK_COLOURS[p.level] ?? RISK_COLOURS[4]}"><title>${esc(p.day)} · ${r1(p.score)}</title></circle>`;
    })
    .join('');
  return `<svg class="spark" data-testid="risk-trend" data-days="${trend.length}" viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img">
    <line x1="0" y1="${h - 3}" x2="${w}" y2="${h - 3}" class="axis"/>
    <path d="${sparklinePath(values, w, h)}" fill="none" stroke="${colour}" stroke-width="1.6"/>${dots}</svg>`;
}

/** One bar per entry (a day), with the largest count and the first and last keys as labels. */
export function barChartSvg(rows: { key: string; count: number }[], w = 360, h = 90): string {
  const top = 12;
  const bottom = 14;
  const heights = scaleBars(rows.map((r) => r.count), h - top - bottom);
  const slot = w / Math.max(1, rows.length);
  const bw = Math.max(1, slot * 0.72);
  const bars = rows
    .map((r, i) => {
      const bh = r1(heights[i]!);
      const x = r1(i * slot + (slot - bw) / 2);
      return `<rect data-testid="day-bar" data-day="${esc(r.key)}" data-count="${r.count}" x="${x}" y="${r1(h - bottom - bh)}" width="${r1(bw)}" height="${bh}"><title>${esc(r.key)} · ${r.count}</title></rect>`;
    })
    .join('');
  const max = Math.max(0, ...rows.map((r) => r.count));
  const first = rows[0]?.key.slice(5) ?? '';
  const last = rows[rows.length - 1]?.key.slice(5) ?? '';
  return `<svg class="bars" viewBox="0 0 ${w} ${h}" role="img">
    <text x="0" y="9" class="lbl">${max}</text>
    <line x1="0" y1="${h - bottom}" x2="${w}" y2="${h - bottom}" class="axis"/>${bars}
    <text x="0" y="${h - 2}" class="lbl">${esc(first)}</text><text x="${w}" y="${h - 2}" class="lbl" text-anchor="end">${esc(last)}</text></svg>`;
}

/** A horizontal bar split into parts by value (zero parts left out), each part titled. */
export function stackedBarHtml(parts: { key: string; label: string; value: number; colour: string }[]): string {
  const total = parts.reduce((s, p) => s + Math.max(0, p.value), 0);
  if (total <= 0) return '<div class="stack empty"></div>';
  return `<div class="stack" data-testid="risk-parts">${parts
    .filter((p) => p.value > 0)
    .map(
      (p) =>
        `<i data-part="${esc(p.key)}" style="width:${r1((p.value / total) * 100)}%;background:${p.colour}" title="${esc(p.label)} ${r1(p.value)}"></i>`,
    )
    .join('')}</div>`;
}
