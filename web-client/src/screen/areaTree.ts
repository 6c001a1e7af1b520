// 行政区划树 — the governance tree (city → district → street → community →
// grid) as the client needs it: parents, children, extents, "is this inside
// that", and which grid a point falls in.

import { bboxOf, bboxContainsPoint, pointInGeometry, type AreaGeometry, type Position } from '../shared/geo';
import type { AreaLevel, BBox } from '../shared/types';

export interface AreaNode {
  code: string;
  name: string;
  level: AreaLevel;
  parent: string | null;
  bbox: BBox;
  geometry: AreaGeometry;
}

export interface AreaFeature {
  id?: string | number;
  geometry: AreaGeometry;
  properties: { code: string; name: string; level: AreaLevel; parent?: string | null };
}

/** Grid lookups go through buckets of this many degrees (≈ 1 km). */
const CELL_DEG = 0.01;

export class AreaTree {
  readonly byCode = new Map<string, AreaNode>();
  readonly children = new Map<string, string[]>();
  private readonly gridBuckets = new Map<string, AreaNode[]>();

  constructor(features: AreaFeature[]) {
    for (const f of features) {
      const p = f.properties;
      this.byCode.set(p.code, {
        code: p.code,
        name: p.name,
        level: p.level,
        parent: p.parent ?? null,
        bbox: bboxOf(f.geometry),
        geometry: f.geometry,
      });
    }
    for (const a of this.byCode.values()) {
      if (a.parent) {
        const list = this.children.get(a.parent) ?? [];
        list.push(a.code);
        this.children.set(a.parent, list);
      }
      if (a.level === 'grid') this.bucketGrid(a);
    }
    for (const list of this.children.values()) list.sort();
  }

  /** The areas without a parent in this tree (the user's root, or the city). */
  roots(): AreaNode[] {
    return [...this.byCode.values()].filter((a) => !a.parent || !this.byCode.has(a.parent));
  }

  /** `code` and its ancestors, root first. */
  chain(code: string): AreaNode[] {
    const out: AreaNode[] = [];
    let a = this.byCode.get(code);
    while (a) {
      out.unshift(a);
      a = a.parent ? this.byCode.get(a.parent) : undefined;
    }
    return out;
  }

  /** Whether `code` is `ancestor` or lies below it. */
  within(code: string | null | undefined, ancestor: string | null): boolean {
    if (ancestor === null) return true;
    let c = code ? this.byCode.get(code) : undefined;
    while (c) {
      if (c.code === ancestor) return true;
      c = c.parent ? this.byCode.get(c.parent) : undefined;
    }
    return false;
  }

  childrenOf(code: string): AreaNode[] {
    return (this.children.get(code) ?? []).map((c) => this.byCode.get(c)!).filter(Boolean);
  }

  /** The grid containing a point, if any. */
  gridAt(p: Position): AreaNode | null {
    const bucket = this.gridBuckets.get(bucketKey(Math.floor(p[0] / CELL_DEG), Math.floor(p[1] / CELL_DEG)));
    for (const g of bucket ?? []) {
      if (bboxContainsPoint(g.bbox, p) && pointInGeometry(p, g.geometry)) return g;
    }
    return null;
  }

  private bucketGrid(g: AreaNode): void {
    const [w, s, e, n] = g.bbox;
    for (let x = Math.floor(w / CELL_DEG); x <= Math.floor(e / CELL_DEG); x++) {
      for (let y = Math.floor(s / CELL_DEG); y <= Math.floor(n / CELL_DEG); y++) {
        const k = bucketKey(x, y);
        const list = this.gridBuckets.get(k) ?? [];
        list.push(g);
        this.gridBuckets.set(k, list);
      }
    }
  }
}

const bucketKey = (x: number, y: number) => `${x}:${y}`;
