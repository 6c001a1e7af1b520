// A field user's tasks: which are theirs, and what they can do with each.

import type { Incident, IncidentState } from '../shared/types';

/** The actions a field user takes on their own task, by state (docs/protocol.md, "Acting"). */
export function fieldActions(state: IncidentState): ('sign' | 'start' | 'handle')[] {
  switch (state) {
    case 'dispatched':
      return ['sign'];
    case 'signed':
      return ['start', 'handle'];
    case 'in_progress':
      return ['handle'];
    default:
      return [];
  }
}

/** A task stays on the list while the field user still has something to do with it. */
export function isActiveTask(i: Incident, staffId: string | null | undefined): boolean {
  return !!staffId && i.assignee_staff === staffId && fieldActions(i.state).length > 0;
}

/** Merges a pushed or fetched incident into the task list, newest version wins, most urgent first. */
export function mergeTask(list: Incident[], i: Incident, staffId: string | null | undefined): Incident[] {
  const old = list.find((x) => x.id === i.id);
  if (old && old.version > i.version) return list;
  const rest = list.filter((x) => x.id !== i.id);
  if (isActiveTask(i, staffId)) rest.push(i);
  const rank = { emergency: 0, urgent: 1, normal: 2 } as const;
  return rest.sort((a, b) => rank[a.priority] - rank[b.priority] || b.updated_ms - a.updated_ms);
}

/** How many finished tasks the 已办 list keeps. */
export const DONE_LENGTH = 20;

/** A task of mine that I have finished (handled, then verified or closed by the office). */
export function isDoneTask(i: Incident, staffId: string | null | undefined): boolean {
  return !!staffId && i.assignee_staff === staffId && (i.state === 'handled' || i.state === 'verified' || i.state === 'closed');
}

/** Merges an incident into the 已办 list: newest first, newest version wins. */
export function mergeDone(list: Incident[], i: Incident, staffId: string | null | undefined): Incident[] {
  const old = list.find((x) => x.id === i.id);
  if (old && old.version > i.version) return list;
  const rest = list.filter((x) => x.id !== i.id);
  if (isDoneTask(i, staffId)) rest.push(i);
  return rest.sort((a, b) => b.updated_ms - a.updated_ms).slice(0, DONE_LENGTH);
}
