// The staff members a field login can be bound to: those of the
// administrator's area (the server's OGC `staff` answers only those), found by
// name or id among the ones whose grid lies in the login's area.

import type { Api } from '../shared/api';

export interface StaffEntry {
  id: string;
  name: string;
  /** Their 责任网格, which must lie in the login's area. */
  home_grid: string;
}

interface StaffPage {
  features: { id?: string | number; properties: { id?: string; name?: string; home_grid?: string } }[];
  numberMatched?: number;
}

export async function loadStaff(api: Api): Promise<Map<string, StaffEntry>> {
  const PAGE = 10_000;
  const out = new Map<string, StaffEntry>();
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<StaffPage>('/ogc/collections/staff/items', { limit: PAGE, offset });
    for (const f of page.features) {
      const id = String(f.properties.id ?? f.id ?? '');
      if (id) out.set(id, { id, name: f.properties.name ?? id, home_grid: f.properties.home_grid ?? '' });
    }
    if (page.features.length < PAGE || out.size >= (page.numberMatched ?? out.size)) return out;
  }
}

/** The text a suggestion shows and puts in the box: "王伟 · S000123". */
export const staffLabel = (s: StaffEntry): string => `${s.name} · ${s.id}`;

/** The id typed, or picked from the suggestions ("王伟 · S000123" → S000123). */
export function staffIdOf(typed: string): string {
  const q = typed.trim();
  return /· (\S+)$/.exec(q)?.[1] ?? q;
}

/**
 * Up to `max` staff members in the area matching what was typed (part of the
 * name, or the start of the id); every one in the area when nothing was typed.
 */
export function matchStaff(
  query: string,
  staff: Iterable<StaffEntry>,
  inArea: (grid: string) => boolean,
  max = 30,
): StaffEntry[] {
  const q = query.trim();
  const out: StaffEntry[] = [];
  for (const s of staff) {
    if (!inArea(s.home_grid)) continue;
    if (!q || s.name.includes(q) || s.id.toLowerCase().startsWith(q.toLowerCase())) out.push(s);
    if (out.length >= max) break;
  }
  return out;
}
