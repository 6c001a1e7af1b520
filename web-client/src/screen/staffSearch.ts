// Finding a staff member by what an operator types: a name, part of one, an
// id, or a suggestion ("王伟 · S000123") picked from the list.

import type { StaffLive } from '../shared/types';

export type StaffMatch = { kind: 'one'; id: string } | { kind: 'none' } | { kind: 'many'; count: number };

/** The text a suggestion shows and puts in the box. */
export const suggestion = (s: Pick<StaffLive, 'id' | 'name'>) => `${s.name ?? s.id} · ${s.id}`;

/**
 * `findStaff` where the members held may be only some of them (staff counted
 * on the server, staffCensus.ts): a query nobody held matches, if it can be
 * an id, the member of that id, for the server to find or refuse.
 */
export function findStaffOrId(query: string, staff: Iterable<Pick<StaffLive, 'id' | 'name'>>, holdsEveryone: boolean): StaffMatch {
  const match = findStaff(query, staff);
  const id = /· (\S+)$/.exec(query.trim())?.[1] ?? query.trim();
  return match.kind === 'none' && !holdsEveryone && /^[\w.-]+$/.test(id) ? { kind: 'one', id } : match;
}

export function findStaff(query: string, staff: Iterable<Pick<StaffLive, 'id' | 'name'>>): StaffMatch {
  const q = query.trim();
  if (!q) return { kind: 'none' };
  const all = [...staff];
  const picked = /· (\S+)$/.exec(q)?.[1];
  const byId = all.find((s) => s.id === (picked ?? q));
  if (byId) return { kind: 'one', id: byId.id };
  for (const test of [(n: string) => n === q, (n: string) => n.includes(q)]) {
    const hits = all.filter((s) => s.name && test(s.name));
    if (hits.length === 1) return { kind: 'one', id: hits[0]!.id };
    if (hits.length > 1) return { kind: 'many', count: hits.length };
  }
  return { kind: 'none' };
}

/** Up to `max` suggestions for what has been typed so far. */
export function suggestions(query: string, staff: Iterable<Pick<StaffLive, 'id' | 'name'>>, max = 20): string[] {
  const q = query.trim();
  const out: string[] = [];
  if (!q) return out;
  for (const s of staff) {
    if ((s.name ?? '').includes(q) || s.id.startsWith(q)) out.push(suggestion(s));
    if (out.length >= max) break;
  }
  return out;
}
