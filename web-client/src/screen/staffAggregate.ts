// The staff counted by H3 hexagon, for the big screen below street zoom, and
// in total, for the staff panel's figures.
//
// A hundred thousand dots at city zoom are a carpet nobody can read, and
// drawing them costs every frame. Counted per hexagon instead, the map holds a
// few hundred cells. The counts are kept as members change, never recounted:
// each member remembers its cell at the finest resolution and its class (role ×
// duty × offline); a move that stays in its cell and keeps its class costs a
// point-in-hexagon test and nothing else, and only cells whose count changed
// are reported to the map. Each cell keeps a histogram over the classes, so a
// popup's counts by role and by duty, and the panel's online / on duty / busy
// by role, are sums over a few dozen numbers whatever the size of the city.
// Coarser resolutions are the finer cells' parents, counted the same way.
// Only the members `counted` accepts (the drill-down's scope) are counted.

import { cellToParent, getHexagonAreaAvg } from 'h3-js';
import { type Duty, STAFF_ROLES, type StaffLive, type StaffRole } from '../shared/types';
import { HexLocator, type HexShape } from './hexLocator';

/**
 * The finest resolution kept per member (≈174 m edges); the others are its
 * parents. Not 10: seven times the cells to make and count for a snapshot,
 * for hexagons nobody reads below street zoom.
 */
export const FINE_RES = 9;
/** The coarsest resolution counted (≈3.7 km edges: a whole city at zoom 8–9). */
export const COARSE_RES = 6;

export const DUTIES: readonly Duty[] = ['available', 'busy', 'sos', 'off'];
export type RoleKey = StaffRole | 'unknown';
export const ROLE_KEYS: readonly RoleKey[] = [...STAFF_ROLES, 'unknown'];
/** Classes: role × duty × (online, offline). */
export const CLASSES = ROLE_KEYS.length * DUTIES.length * 2;

const roleIndex = new Map<string, number>(ROLE_KEYS.map((r, i) => [r, i]));
const dutyIndex = new Map<string, number>(DUTIES.map((d, i) => [d, i]));

export function classOf(role: StaffRole | undefined, duty: Duty, offline: boolean): number {
  const r = roleIndex.get(role ?? 'unknown') ?? ROLE_KEYS.length - 1;
  const d = dutyIndex.get(duty) ?? DUTIES.length - 1;
  return (r * DUTIES.length + d) * 2 + (offline ? 1 : 0);
}

/** A cell at one resolution: how many members, by class. */
export interface HexCount {
  readonly id: string;
  readonly res: number;
  n: number;
  readonly hist: Int32Array;
  /** The same area one resolution coarser (null at COARSE_RES). */
  readonly parent: HexCount | null;
  /** The outline (the finest resolution only): the locator's. */
  readonly shape: HexShape | null;
}

/** What the staff panel shows per role. */
export interface RoleFigures {
  online: number;
  onDuty: number;
  busy: number;
}

/** A popup's figures: members by role and by duty, and how many are offline. */
export interface HexFigures {
  n: number;
  byRole: Map<RoleKey, number>;
  byDuty: Map<Duty, number>;
  offline: number;
}

interface Slot {
  /** Its cell at FINE_RES, null while not counted. */
  cell: HexCount | null;
  cls: number;
}

/** Staff per square kilometre in a cell: the colour of a hexagon, the same whatever the resolution. */
export function density(c: HexCount): number {
  return c.n / getHexagonAreaAvg(c.res, 'km2');
}

export class StaffAggregate {
  private readonly slots = new Map<string, Slot>();
  /** Cells by resolution (index = resolution), only those with members. */
  private readonly cells: Map<string, HexCount>[] = [];
  /** Per resolution, the cells whose count changed since the map last asked. */
  private readonly dirty: Set<string>[] = [];
  private readonly locator = new HexLocator(FINE_RES);
  /** Everyone counted, by class: the staff panel's figures. */
  readonly total = new Int32Array(CLASSES);

  constructor(private readonly counted: (s: StaffLive) => boolean) {
    for (let r = COARSE_RES; r <= FINE_RES; r++) {
      this.cells[r] = new Map();
      this.dirty[r] = new Set();
    }
  }

  /**
   * Forgets the members `keep` does not want (after a snapshot: those it no
   * longer has). A snapshot is applied as members set again plus this, not
   * as a recount: most are where they were, which costs a point-in-hexagon
   * test each and nothing on the map.
   */
  retain(keep: (id: string) => boolean): void {
    // (a Map may lose the entry being visited: no copy of a million keys)
    for (const id of this.slots.keys()) if (!keep(id)) this.delete(id);
  }

  /** A member as they now are (added, moved, duty or role changed, gone offline or back). */
  set(s: StaffLive, offline: boolean): void {
    let slot = this.slots.get(s.id);
    if (!slot) this.slots.set(s.id, (slot = { cell: null, cls: 0 }));
    const counted = this.counted(s);
    const shape = counted ? this.locator.locate(s.lon, s.lat, slot.cell?.shape ?? null) : null;
    const cls = counted ? classOf(s.role, s.duty, offline) : 0;
    if (slot.cell?.shape === shape && slot.cls === cls) return;
    const next = shape ? this.fineCell(shape) : null;
    this.shift(slot.cell, slot.cls, next, cls);
    slot.cell = next;
    slot.cls = cls;
  }

  /** A member no longer in view. */
  delete(id: string): void {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.shift(slot.cell, slot.cls, null, 0);
    this.slots.delete(id);
  }

  /** How many members are known (counted or not). */
  get size(): number {
    return this.slots.size;
  }

  /**
   * A cell at FINE_RES as the server counted it (staffCensus.ts): its
   * histogram replaced by `hist`, the difference carried to its parents and
   * the total. Counts from the server and members (`set`) are never mixed in
   * one aggregate.
   */
  setCell(id: string, hist: Int32Array): void {
    let cell = this.cells[FINE_RES]!.get(id) ?? null;
    if (!cell) {
      if (!hist.some((k) => k > 0)) return;
      cell = this.fineCell(this.locator.shape(id));
    }
    let dn = 0;
    for (let k = 0; k < CLASSES; k++) {
      const d = (hist[k] ?? 0) - cell.hist[k]!;
      if (!d) continue;
      dn += d;
      this.total[k]! += d;
      for (let c: HexCount | null = cell; c; c = c.parent) c.hist[k]! += d;
    }
    if (!dn) return;
    for (let c: HexCount | null = cell; c; c = c.parent) {
      c.n += dn;
      this.dirty[c.res]!.add(c.id);
      if (c.n === 0) this.cells[c.res]!.delete(c.id);
    }
  }

  /** The cells with members at a resolution. */
  cellsAt(res: number): IterableIterator<HexCount> {
    return this.cells[res]!.values();
  }

  get(res: number, id: string): HexCount | undefined {
    return this.cells[res]?.get(id);
  }

  /** Hands over (and forgets) the cells at `res` whose count changed: present ones changed or are new, absent ones emptied. */
  takeDirty(res: number): string[] {
    const d = this.dirty[res]!;
    const out = [...d];
    d.clear();
    return out;
  }

  /** Forgets what changed at `res` (the map is about to be written whole). */
  forgetDirty(res: number): void {
    this.dirty[res]!.clear();
  }

  /** Online, on duty and busy per role, of everyone counted (the staff panel). */
  countsByRole(): Map<RoleKey, RoleFigures> {
    const out = new Map<RoleKey, RoleFigures>();
    ROLE_KEYS.forEach((role, r) => {
      const f: RoleFigures = { online: 0, onDuty: 0, busy: 0 };
      DUTIES.forEach((duty, d) => {
        const on = this.total[(r * DUTIES.length + d) * 2]!;
        const off = this.total[(r * DUTIES.length + d) * 2 + 1]!;
        f.online += on;
        if (duty !== 'off') f.onDuty += on + off;
        if (duty === 'busy') f.busy += on + off;
      });
      if (role !== 'unknown' || f.online + f.onDuty > 0) out.set(role, f);
    });
    return out;
  }

  /** A cell's members by role and by duty. */
  figures(c: HexCount): HexFigures {
    const byRole = new Map<RoleKey, number>();
    const byDuty = new Map<Duty, number>();
    let offline = 0;
    ROLE_KEYS.forEach((role, r) =>
      DUTIES.forEach((duty, d) => {
        for (const off of [0, 1]) {
          const k = c.hist[(r * DUTIES.length + d) * 2 + off]!;
          if (!k) continue;
          byRole.set(role, (byRole.get(role) ?? 0) + k);
          byDuty.set(duty, (byDuty.get(duty) ?? 0) + k);
          if (off) offline += k;
        }
      }),
    );
    return { n: c.n, byRole, byDuty, offline };
  }

  /** Moves one member from (cell, class) to (cell, class), at every resolution. */
  private shift(from: HexCount | null, fromCls: number, to: HexCount | null, toCls: number): void {
    if (from) this.total[fromCls]!--;
    if (to) this.total[toCls]!++;
    let a = from;
    let b = to;
    while (a || b) {
      if (a === b) {
        // The same cell from here up: only the histogram changes, not what is drawn.
        for (let c = a; c; c = c.parent) {
          c.hist[fromCls]!--;
          c.hist[toCls]!++;
        }
        return;
      }
      if (a) {
        a.n--;
        a.hist[fromCls]!--;
        this.dirty[a.res]!.add(a.id);
        if (a.n === 0) this.cells[a.res]!.delete(a.id);
      }
      if (b) {
        b.n++;
        b.hist[toCls]!++;
        this.dirty[b.res]!.add(b.id);
      }
      a = a?.parent ?? null;
      b = b?.parent ?? null;
    }
  }

  /**
   * The cell a member stands in, and its parents, made when first needed. The
   * parents' ids are asked of H3 once per cell ever seen (kept on the shape),
   * not each time a cell empties and fills again.
   */
  private fineCell(shape: HexShape): HexCount {
    const found = this.cells[FINE_RES]!.get(shape.id);
    if (found) return found;
    const up = (shape.parents ??= Array.from({ length: FINE_RES - COARSE_RES }, (_, i) => cellToParent(shape.id, FINE_RES - 1 - i)));
    let parent: HexCount | null = null;
    for (let res = COARSE_RES; res < FINE_RES; res++) {
      const id = up[FINE_RES - 1 - res]!;
      parent = this.cells[res]!.get(id) ?? this.make(res, id, parent, null);
    }
    return this.make(FINE_RES, shape.id, parent, shape);
  }

  private make(res: number, id: string, parent: HexCount | null, shape: HexShape | null): HexCount {
    const c: HexCount = { id, res, n: 0, hist: new Int32Array(CLASSES), parent, shape };
    this.cells[res]!.set(id, c);
    return c;
  }
}
