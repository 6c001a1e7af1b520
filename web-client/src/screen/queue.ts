// 我的待办 — what awaits the login (GET /api/incidents?queue=mine): the order
// (the nearest deadline first, an open 督办 order counting by its own due time)
// and how each item's deadline reads. Pure: the panel is queuePanel.ts.

import { formatDateTime, formatDuration } from '../shared/format';
import { type Lang, lang, t } from '../shared/i18n';
import type { Incident, SupervisionAlertMessage } from '../shared/types';
import { fillIn } from './orgLabels';

const CHAIN_KINDS: readonly string[] = ['supervision', 'supervision_answered', 'supervision_overdue', 'escalated'];

/**
 * A push of the command chain (督办 given, answered or overdue, 超时自动上报): it changes
 * what the queue holds. (Warnings and workers' alerts share the `alert` type.)
 */
export function isChainAlert(m: { kind: string }): m is SupervisionAlertMessage {
  return CHAIN_KINDS.includes(m.kind);
}

/** An open 督办 order on the incident (given, not yet answered). */
export function openSupervision(i: Pick<Incident, 'supervision'>): boolean {
  return !!i.supervision && i.supervision.answered_ms === null;
}

/** The time the item must be dealt with by: its step's deadline, the incident's, or an open order's due time, whichever is first. */
export function queueDeadline(i: Incident): number | null {
  const times = [i.step_deadline_ms ?? i.deadline_ms ?? null, openSupervision(i) ? i.supervision!.due_ms : null].filter(
    (x): x is number => typeof x === 'number' && Number.isFinite(x),
  );
  return times.length ? Math.min(...times) : null;
}

/** Nearest deadline first; those without one last, oldest first; ties by id, so the order is stable. */
export function sortQueue(list: readonly Incident[]): Incident[] {
  return [...list].sort((a, b) => {
    const da = queueDeadline(a) ?? Infinity;
    const db = queueDeadline(b) ?? Infinity;
    if (da !== db) return da < db ? -1 : 1;
    if (a.created_ms !== b.created_ms) return a.created_ms - b.created_ms;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** "剩余 2小时5分" / "超期 3天2小时" / "无时限", and whether it is overdue. */
export function deadlineLabel(deadline: number | null, now: number, l: Lang = lang()): { text: string; overdue: boolean } {
  if (deadline === null) return { text: t('queue.no_deadline', l), overdue: false };
  const left = deadline - now;
  const d = formatDuration(left, l);
  return left < 0 ? { text: fillIn(t('queue.overdue', l), { d }), overdue: true } : { text: fillIn(t('queue.left', l), { d }), overdue: false };
}

/** The warning colour a row shows: the server's, or red once the queue's own deadline has passed. */
export function queueWarning(i: Incident, now: number): Incident['warning'] {
  const d = queueDeadline(i);
  return d !== null && d < now ? 'red' : i.warning;
}

/** The supervision's due time as a row's hover says it. */
export function supervisionDue(i: Incident, l: Lang = lang()): string {
  return openSupervision(i) ? fillIn(t('queue.due_supervision', l), { t: formatDateTime(i.supervision!.due_ms) }) : '';
}
