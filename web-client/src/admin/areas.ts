// The areas an administrator may bind logins to: their own subtree of the
// governance tree (the server's OGC `areas` answers only that), by code, with
// names for the table and the order the pickers list them in. Geometry is
// dropped as soon as it arrives: this page draws no map.

import type { Api } from '../shared/api';
import { AREA_LEVELS, type AreaLevel } from '../shared/types';

export interface AreaEntry {
  code: string;
  name: string;
  level: AreaLevel;
  parent: string | null;
}

export class AreaIndex {
  readonly byCode = new Map<string, AreaEntry>();
  private readonly children = new Map<string, string[]>();

  constructor(areas: Iterable<AreaEntry>) {
    for (const a of areas) this.byCode.set(a.code, a);
    for (const a of this.byCode.values()) {
      if (!a.parent || !this.byCode.has(a.parent)) continue;
      const list = this.children.get(a.parent) ?? [];
      list.push(a.code);
      this.children.set(a.parent, list);
    }
    for (const list of this.children.values()) list.sort();
  }

  /** The areas whose parent is not visible: the administrator's own area (or the city). */
  roots(): AreaEntry[] {
    return [...this.byCode.values()].filter((a) => !a.parent || !this.byCode.has(a.parent)).sort((a, b) => (a.code < b.code ? -1 : 1));
  }

  childrenOf(code: string): AreaEntry[] {
    return (this.children.get(code) ?? []).map((c) => this.byCode.get(c)!);
  }

  name(code: string): string | null {
    return this.byCode.get(code)?.name ?? null;
  }

  /** `code` and its visible ancestors, the top first. */
  chain(code: string): AreaEntry[] {
    const out: AreaEntry[] = [];
    for (let a = this.byCode.get(code); a; a = a.parent ? this.byCode.get(a.parent) : undefined) out.unshift(a);
    return out;
  }

  /** Whether `code` is `ancestor` or lies below it. */
  within(code: string, ancestor: string): boolean {
    return this.chain(code).some((a) => a.code === ancestor);
  }

  /**
   * The tree in reading order (each area followed by its children), each with
   * its depth, down to `deepest`: the area filter stops above the grids, of
   * which a city has thousands.
   */
  ordered(deepest: AreaLevel = 'grid'): { area: AreaEntry; depth: number }[] {
    const limit = AREA_LEVELS.indexOf(deepest);
    const out: { area: AreaEntry; depth: number }[] = [];
    const walk = (a: AreaEntry, depth: number) => {
      if (AREA_LEVELS.indexOf(a.level) > limit) return;
      out.push({ area: a, depth });
      for (const c of this.childrenOf(a.code)) walk(c, depth + 1);
    };
    for (const r of this.roots()) walk(r, 0);
    return out;
  }
}

interface AreaPage {
  features: { properties: { code: string; name: string; level: AreaLevel; parent?: string | null } }[];
  numberMatched?: number;
}

/** The administrator's areas, from OGC API - Features, page by page. */
export async function loadAreas(api: Api): Promise<AreaIndex> {
  const PAGE = 10_000;
  const out: AreaEntry[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<AreaPage>('/ogc/collections/areas/items', { limit: PAGE, offset });
    for (const f of page.features) {
      const p = f.properties;
      out.push({ code: p.code, name: p.name, level: p.level, parent: p.parent ?? null });
    }
    if (page.features.length < PAGE || out.length >= (page.numberMatched ?? out.length)) return new AreaIndex(out);
  }
}
