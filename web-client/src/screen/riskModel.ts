// 风险研判 on the client: the server judges each grid (docs/protocol.md, "Grid
// risk"); the screen keeps the latest row per grid from the snapshot and the
// grid_risk pushes, and shades, counts and lists what it holds.

import type { AreaRisk, BBox, GridRow, RiskColour } from '../shared/types';

export type RiskLevel = 1 | 2 | 3 | 4;
export const RISK_LEVELS: readonly RiskLevel[] = [1, 2, 3, 4];
export const LEVEL_COLOUR: Record<RiskLevel, RiskColour> = { 1: 'red', 2: 'orange', 3: 'yellow', 4: 'blue' };

/** The four-colour name of a level (anything unknown is 低, blue). */
export function levelColour(level: number): RiskColour {
  return LEVEL_COLOUR[level as RiskLevel] ?? 'blue';
}

/** A colour name (or level 1–4 as text) as a level. */
export function colourLevel(c: string): RiskLevel {
  const i = (['red', 'orange', 'yellow', 'blue'] as string[]).indexOf(c);
  if (i >= 0) return (i + 1) as RiskLevel;
  const n = Number(c);
  return n >= 1 && n <= 4 ? (n as RiskLevel) : 4;
}

export interface LegendRow {
  level: RiskLevel;
  colour: RiskColour;
  count: number;
}

/** The legend's four rows, red → blue, from an area's roll-up (`counts`: red, orange, yellow, blue). */
export function legendRows(area: Pick<AreaRisk, 'counts'> | null): LegendRow[] {
  return RISK_LEVELS.map((level, i) => ({ level, colour: LEVEL_COLOUR[level], count: area?.counts[i] ?? 0 }));
}

/** What decides whether a snapshot speaks for a grid: an absent grid it covers has no risk. */
export type Covers = (code: string) => boolean;

/** A grid with no risk at all is simply not held (blue, score 0). */
const hasRisk = (g: GridRow) => g.score > 0 || g.level < 4;

/** The latest row per grid code, from snapshots and pushes. */
export class GridRiskStore {
  readonly byCode = new Map<string, GridRow>();

  /**
   * A snapshot: its rows replace what was held, and the grids it covers that
   * it leaves out have no risk any more. Returns the codes whose level changed.
   */
  applySnapshot(rows: GridRow[], covers: Covers): Set<string> {
    const changed = this.apply(rows);
    const present = new Set(rows.map((r) => r.code));
    for (const [code, row] of this.byCode) {
      if (present.has(code) || !covers(code)) continue;
      this.byCode.delete(code);
      if (row.level !== 4 || row.score > 0) changed.add(code);
    }
    return changed;
  }

  /** Pushed rows (grid_risk): the codes whose level changed (or appeared, or went). */
  apply(rows: GridRow[]): Set<string> {
    const changed = new Set<string>();
    for (const r of rows) {
      const before = this.byCode.get(r.code);
      if (hasRisk(r)) this.byCode.set(r.code, r);
      else this.byCode.delete(r.code);
      if ((before?.level ?? 0) !== (hasRisk(r) ? r.level : 0)) changed.add(r.code);
    }
    return changed;
  }

  /** The level a grid is shaded at: 1–4, or 0 for a grid with no risk held. */
  levelOf(code: string): number {
    return this.byCode.get(code)?.level ?? 0;
  }
}

/** Whether `inner` lies wholly inside `outer`. */
export function bboxWithin(inner: BBox, outer: BBox): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3];
}

/** Percent text of a share 0–1: 100 %, 45 %, 3.5 %, <1 %. */
export function sharePercent(share: number): string {
  const p = share * 100;
  if (p >= 99.95) return '100%';
  if (p > 0 && p < 1) return '<1%';
  return `${p >= 10 ? Math.round(p) : Math.round(p * 10) / 10}%`;
}
