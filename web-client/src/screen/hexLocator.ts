// Which H3 cell a staff member stands in, fast enough for a million of them.
//
// h3-js's latLngToCell costs about 2 µs a call: 2 s of main thread for a
// million-member snapshot, and a call per move. Almost every answer is a cell
// already seen — the member's own cell (a walk of a few metres stays in it),
// or the cell the last member found in the same small square was in — so the
// question is first put to those as plain hexagons (a point-in-convex-polygon
// test, tens of nanoseconds), then to their six neighbours (a square often
// straddles an edge), and only then to H3.
// A cell's edges are great-circle arcs drawn here as straight lines in
// degrees: at resolution 9 (174 m edges) the two differ by far less than a
// millimetre, well inside any GPS fix.

import { cellToBoundary, getHexagonEdgeLengthAvg, gridDisk, latLngToCell } from 'h3-js';

/** One cell's outline, kept for the test, and its neighbours once asked for. */
export interface HexShape {
  readonly id: string;
  /** Vertices as x0,y0,x1,y1… (lon, lat) anticlockwise; null: not a plain hexagon (a pentagon, a face edge), so H3 decides. */
  readonly ring: Float64Array | null;
  near: HexShape[] | null;
  /** Its parents, one resolution coarser first, once a count asked for them (staffAggregate.ts). */
  parents: string[] | null;
}

export class HexLocator {
  private readonly shapes = new Map<string, HexShape>();
  /** The last cell found in each small square of the map: the first guess for the next point there. */
  private readonly hints = new Map<number, HexShape>();
  /** Hint squares half a cell's edge wide (in degrees of latitude; good enough for a guess): most then lie in one cell. */
  private readonly square: number;
  private origin: [number, number] | null = null;
  /** Calls that fell through to H3, for the tests and for profiling. */
  h3Calls = 0;

  constructor(readonly res: number) {
    this.square = getHexagonEdgeLengthAvg(res, 'm') / 111_000 / 2;
  }

  /** The cell at a point; `prev` (where the member stood last) is tried first. */
  locate(lon: number, lat: number, prev: HexShape | null): HexShape {
    if (prev && inside(prev, lon, lat)) return prev;
    const key = this.key(lon, lat);
    const hint = key < 0 ? undefined : this.hints.get(key);
    let found = this.around(hint, lon, lat) ?? (hint === prev ? null : this.around(prev, lon, lat));
    // A square not seen yet: the cells found next door are the best guess.
    for (let k = 0; !found && !hint && key >= 0 && k < 4; k++) found = this.around(this.hints.get(key + NEXT_DOOR[k]!), lon, lat);
    if (!found) {
      this.h3Calls++;
      found = this.shape(latLngToCell(lat, lon, this.res));
    }
    if (found !== hint && key >= 0) this.hints.set(key, found);
    return found;
  }

  /**
   * The hint square of a point: column × ROW + row, counted from a corner
   * fixed by the first point, so keys stay small integers (V8's fast map
   * keys); -1 beyond 2^14 squares of it (some 12° at resolution 9).
   */
  private key(lon: number, lat: number): number {
    const col = Math.floor(lon / this.square);
    const row = Math.floor(lat / this.square);
    if (this.origin === null) this.origin = [col - SPAN / 2, row - SPAN / 2];
    const x = col - this.origin[0];
    const y = row - this.origin[1];
    return x >= 0 && x < SPAN && y >= 0 && y < SPAN ? x * ROW + y : -1;
  }

  /** The shape of a cell by its index (made once). */
  shape(id: string): HexShape {
    let s = this.shapes.get(id);
    if (!s) this.shapes.set(id, (s = { id, ring: hexRing(id), near: null, parents: null }));
    return s;
  }

  /** `base` or one of its six neighbours, if the point is in it. */
  private around(base: HexShape | null | undefined, lon: number, lat: number): HexShape | null {
    if (!base) return null;
    if (inside(base, lon, lat)) return base;
    base.near ??= gridDisk(base.id, 1)
      .filter((id) => id !== base.id)
      .map((id) => this.shape(id));
    for (const n of base.near) if (inside(n, lon, lat)) return n;
    return null;
  }
}

const SPAN = 2 ** 15;
const ROW = SPAN;
/** The squares west, east, south and north (off the grid's edge a key finds nothing, or a far square whose cell the test turns down). */
const NEXT_DOOR = [-ROW, ROW, -1, 1];

/** A plain hexagon's vertices anticlockwise, or null when the fast test cannot be trusted for it. */
function hexRing(id: string): Float64Array | null {
  const b = cellToBoundary(id, true) as [number, number][];
  // cellToBoundary(…, true) closes the ring: a hexagon comes back as 7 points.
  const pts = b.length > 1 && b[0]![0] === b[b.length - 1]![0] && b[0]![1] === b[b.length - 1]![1] ? b.slice(0, -1) : b;
  if (pts.length !== 6) return null;
  const xs = pts.map((p) => p[0]);
  if (Math.max(...xs) - Math.min(...xs) > 90) return null; // across the antimeridian
  let area = 0;
  for (let i = 0; i < 6; i++) {
    const [x0, y0] = pts[i]!;
    const [x1, y1] = pts[(i + 1) % 6]!;
    area += x0 * y1 - x1 * y0;
  }
  const ordered = area > 0 ? pts : [...pts].reverse();
  return Float64Array.from(ordered.flat());
}

/** Inside (or on the edge of) a convex anticlockwise ring. */
function inside(s: HexShape, x: number, y: number): boolean {
  const r = s.ring;
  if (!r) return false;
  for (let i = 0; i < 12; i += 2) {
    const j = (i + 2) % 12;
    if ((r[j]! - r[i]!) * (y - r[i + 1]!) - (r[j + 1]! - r[i + 1]!) * (x - r[i]!) < 0) return false;
  }
  return true;
}
