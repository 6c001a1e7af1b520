// Geometry the client needs itself: camera field-of-view cones, distances,
// point-in-polygon for joining risk sources to grids, extents for zooming.

import type { BBox } from './types';

const R = 6_371_008.8; // mean Earth radius, metres (as the server uses)
const rad = (d: number) => (d * Math.PI) / 180;
const deg = (r: number) => (r * 180) / Math.PI;

export type Position = [number, number];

/** Great-circle distance in metres. */
export function haversine(a: Position, b: Position): number {
  const dLat = rad(b[1] - a[1]);
  const dLon = rad(b[0] - a[0]);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a[1])) * Math.cos(rad(b[1])) * Math.sin(dLon / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** The point `distance` metres from `from` on initial bearing `bearing` (degrees from north). */
export function destination(from: Position, bearing: number, distance: number): Position {
  const d = distance / R;
  const b = rad(bearing);
  const lat1 = rad(from[1]);
  const lon1 = rad(from[0]);
  const lat2 = Math.asin(Math.sin(lat1) * Math.cos(d) + Math.cos(lat1) * Math.sin(d) * Math.cos(b));
  const lon2 = lon1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(lat1), Math.cos(d) - Math.sin(lat1) * Math.sin(lat2));
  return [((deg(lon2) + 540) % 360) - 180, deg(lat2)];
}

/**
 * The area a camera sees as a closed ring: a sector of `fov` degrees around
 * `heading` out to `range` metres, or a full circle for a dome camera (no
 * heading or field of view), as the server's cameras query treats it.
 */
export function viewCone(
  at: Position,
  heading: number | null | undefined,
  fov: number | null | undefined,
  range: number,
  steps = 16,
): Position[] {
  const dome = heading === null || heading === undefined || fov === null || fov === undefined || fov >= 360;
  if (dome) {
    const ring: Position[] = [];
    for (let i = 0; i < steps * 2; i++) ring.push(destination(at, (360 * i) / (steps * 2), range));
    ring.push(ring[0]!);
    return ring;
  }
  const ring: Position[] = [at];
  const start = heading - fov / 2;
  for (let i = 0; i <= steps; i++) ring.push(destination(at, start + (fov * i) / steps, range));
  ring.push(at);
  return ring;
}

/** Ray casting over one ring; points on an edge may fall either way. */
function inRing(p: Position, ring: Position[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export type PolygonCoords = Position[][];
export type AreaGeometry =
  | { type: 'Polygon'; coordinates: PolygonCoords }
  | { type: 'MultiPolygon'; coordinates: PolygonCoords[] }
  | { type: 'Point'; coordinates: Position };

/** Whether a point lies in a (multi)polygon, holes excluded. */
export function pointInGeometry(p: Position, g: AreaGeometry): boolean {
  const polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  return polys.some((poly) => inRing(p, poly[0] ?? []) && !poly.slice(1).some((hole) => inRing(p, hole)));
}

/** The extent of any GeoJSON geometry's coordinates. */
export function bboxOf(g: AreaGeometry): BBox {
  const b: BBox = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c: unknown): void => {
    if (typeof (c as number[])[0] === 'number') {
      const [x, y] = c as Position;
      if (x < b[0]) b[0] = x;
      if (y < b[1]) b[1] = y;
      if (x > b[2]) b[2] = x;
      if (y > b[3]) b[3] = y;
    } else for (const d of c as unknown[]) visit(d);
  };
  visit(g.coordinates);
  return b;
}

/** What a map shows, as a box (`map.getBounds()`'s sides). */
export function viewBBox(map: { getBounds(): { getWest(): number; getSouth(): number; getEast(): number; getNorth(): number } }): BBox {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

export function bboxContains(outer: BBox, inner: BBox): boolean {
  return outer[0] <= inner[0] && outer[1] <= inner[1] && outer[2] >= inner[2] && outer[3] >= inner[3];
}

export function bboxContainsPoint(b: BBox, p: Position): boolean {
  return p[0] >= b[0] && p[0] <= b[2] && p[1] >= b[1] && p[1] <= b[3];
}

/**
 * The box a source around the view covers: `box` while it still holds the
 * view (a short pan needs no rewrite), else the view padded by `fraction` of
 * its size on each side.
 */
export function boxAround(box: BBox | null, view: BBox, fraction: number): BBox {
  return box && bboxContains(box, view) ? box : padBBox(view, fraction);
}

/** Widens a box by a fraction of its size on every side (for subscriptions that survive small pans). */
export function padBBox(b: BBox, fraction: number): BBox {
  const dx = (b[2] - b[0]) * fraction;
  const dy = (b[3] - b[1]) * fraction;
  return [Math.max(-180, b[0] - dx), Math.max(-85, b[1] - dy), Math.min(180, b[2] + dx), Math.min(85, b[3] + dy)];
}

/** A representative interior-ish point: the centre of the largest polygon's extent, or the point itself. */
export function labelPoint(g: AreaGeometry): Position {
  if (g.type === 'Point') return g.coordinates;
  const b = bboxOf(g);
  return [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
}
