// 网格风险 — how risky each grid is now, from the risk sources in it (by their
// level) and its open incidents (by priority, more when overdue). The score is
// relative: the map shades grids in five classes.

import type { Incident, Priority, Warning } from '../shared/types';

/** Weight of a risk source by level: 1 重大 … 4 低. */
export const RISK_LEVEL_WEIGHT: Record<number, number> = { 1: 8, 2: 4, 3: 2, 4: 1 };
const PRIORITY_WEIGHT: Record<Priority, number> = { normal: 2, urgent: 4, emergency: 8 };
const WARNING_BONUS: Record<Warning, number> = { green: 0, yellow: 1, red: 3, none: 0 };

/** Class boundaries of the score: 0 none, then 1 (low) … 4 (severe). */
export const RISK_CLASS_BOUNDS = [1, 4, 8, 16] as const;

export function riskClass(score: number): number {
  let c = 0;
  for (const b of RISK_CLASS_BOUNDS) if (score >= b) c++;
  return c;
}

export function gridScores(
  riskSourcesByGrid: ReadonlyMap<string, number[]>,
  openIncidents: Iterable<Incident>,
): Map<string, number> {
  const scores = new Map<string, number>();
  for (const [grid, levels] of riskSourcesByGrid) {
    scores.set(grid, levels.reduce((sum, l) => sum + (RISK_LEVEL_WEIGHT[l] ?? 0), 0));
  }
  for (const i of openIncidents) {
    const add = PRIORITY_WEIGHT[i.priority] + WARNING_BONUS[i.warning];
    scores.set(i.grid, (scores.get(i.grid) ?? 0) + add);
  }
  return scores;
}
