// 提醒 (reminders) on the field page: the alerts about the worker that are not
// their own SOS — the patrol rules' (未按时入格, 逾期未检), the zones crossed
// (进入围栏, 离开围栏, 进入风险源缓冲区) and the track rules' (脱岗, 静止, which
// the dispatcher follows up by phone). Kept here without the page: which
// alerts are reminders, merging a pushed or fetched one into the list, the
// closed ones leaving it, the worker's local dismissals, the labels and hints.

import { formatDateTime, formatTimeOfDay, localDate } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { AlertKind, SosAlert } from '../shared/types';

addTranslations({
  zh: {
    'reminders.title': '提醒',
    'reminders.dismiss': '不再显示此提醒',
    'reminders.taken': '指挥中心已认领',
    'reminder.kind.not_visited': '未按时入格',
    'reminder.kind.place_overdue': '逾期未检',
    'reminder.kind.fence_enter': '进入围栏',
    'reminder.kind.fence_exit': '离开围栏',
    'reminder.kind.risk_zone': '进入风险源缓冲区',
    'reminder.kind.left_grid': '脱岗',
    'reminder.kind.motionless': '静止',
    'reminder.hint.visit': '请尽快入格巡查',
    'reminder.hint.inspect': '请前往检查并扫场所码',
    'reminder.hint.zone': '注意安全，如非工作需要请离开该区域',
    'reminder.hint.call': '指挥中心将与你联系',
  },
  en: {
    'reminders.title': 'Reminders',
    'reminders.dismiss': 'Dismiss this reminder',
    'reminders.taken': 'Taken by the command centre',
    'reminder.kind.not_visited': 'Grid not visited on time',
    'reminder.kind.place_overdue': 'Inspection overdue',
    'reminder.kind.fence_enter': 'Entered a geofence',
    'reminder.kind.fence_exit': 'Left a geofence',
    'reminder.kind.risk_zone': 'Near a major risk source',
    'reminder.kind.left_grid': 'Out of your grid',
    'reminder.kind.motionless': 'Not moving',
    'reminder.hint.visit': 'Please go to your grid and patrol it soon',
    'reminder.hint.inspect': 'Please go and inspect it, and scan its venue code',
    'reminder.hint.zone': 'Take care: unless your work needs you there, please leave this area',
    'reminder.hint.call': 'The command centre will contact you',
  },
});

/** The kinds shown as reminders (the SOS has its own card; a kind a newer server adds is left out). */
export const REMINDER_KINDS: readonly AlertKind[] = ['not_visited', 'place_overdue', 'fence_enter', 'fence_exit', 'risk_zone', 'left_grid', 'motionless'];

/** How many reminders the list keeps, newest first. */
export const MAX_REMINDERS = 20;

/** How many closed and dismissed ids are remembered (a late push must not bring one back). */
export const MAX_REMEMBERED = 200;

/** One reminder: the alert as last heard, and when this phone first heard of it (its own clock). */
export interface Reminder {
  alert: SosAlert;
  seenAt: number;
}

/** The list and the ids that must not come back. */
export interface ReminderState {
  /** Newest first (raised_ms), at most MAX_REMINDERS. */
  list: readonly Reminder[];
  /** Alerts seen closed: an alert never opens again, so a late push of an older version is ignored. */
  closed: readonly string[];
}

export const EMPTY: ReminderState = { list: [], closed: [] };

/** Whether an alert is a reminder for this worker: theirs, of a kind shown, not their SOS. */
export function isReminder(a: Pick<SosAlert, 'kind' | 'staff_id'>, staffId: string | null | undefined): boolean {
  return !!staffId && a.staff_id === staffId && REMINDER_KINDS.includes(a.kind);
}

/** What a merge did: `added` (new on this phone: it vibrates), `changed`, `removed`, or nothing. */
export type MergeResult = 'added' | 'changed' | 'removed' | null;

const remember = (ids: readonly string[], id: string): string[] => (ids.includes(id) ? [...ids] : [...ids, id].slice(-MAX_REMEMBERED));

const newestFirst = (a: Reminder, b: Reminder) => b.alert.raised_ms - a.alert.raised_ms || (a.alert.id < b.alert.id ? 1 : -1);

/**
 * Merges an alert (pushed or fetched) into the reminders: the newest version
 * wins (a repeat changes nothing), a closed one leaves the list, a dismissed
 * one is not shown, another worker's or another kind's is ignored.
 */
export function mergeReminder(
  state: ReminderState,
  a: SosAlert,
  staffId: string | null | undefined,
  dismissed: ReadonlySet<string>,
  now: number,
): { state: ReminderState; result: MergeResult } {
  if (!isReminder(a, staffId) || state.closed.includes(a.id)) return { state, result: null };
  const old = state.list.find((r) => r.alert.id === a.id);
  if (a.state === 'closed') {
    const list = old ? state.list.filter((r) => r !== old) : state.list;
    return { state: { list, closed: remember(state.closed, a.id) }, result: old ? 'removed' : null };
  }
  if (dismissed.has(a.id)) return { state: old ? { ...state, list: state.list.filter((r) => r !== old) } : state, result: old ? 'removed' : null };
  if (old && old.alert.version >= a.version) return { state, result: null };
  const rest = state.list.filter((r) => r !== old);
  const list = [...rest, { alert: a, seenAt: old?.seenAt ?? now }].sort(newestFirst).slice(0, MAX_REMINDERS);
  const kept = list.some((r) => r.alert.id === a.id);
  return { state: { ...state, list }, result: !kept ? (old ? 'removed' : null) : old ? 'changed' : 'added' };
}

/**
 * The worker's active alerts as read again (on load, after a reconnect): each
 * is merged, and a reminder the answer no longer holds is dropped (it closed
 * meanwhile) unless this phone first heard of it after the request went out
 * (`askedAt`, this phone's clock: a push may overtake the answer).
 */
export function syncReminders(
  state: ReminderState,
  active: readonly SosAlert[],
  staffId: string | null | undefined,
  dismissed: ReadonlySet<string>,
  askedAt: number,
  now: number,
): { state: ReminderState; added: number; changed: boolean } {
  const ids = new Set(active.map((a) => a.id));
  let changed = false;
  let s: ReminderState = { ...state, list: state.list.filter((r) => ids.has(r.alert.id) || r.seenAt >= askedAt) };
  if (s.list.length !== state.list.length) changed = true;
  let added = 0;
  for (const a of active) {
    const r = mergeReminder(s, a, staffId, dismissed, now);
    s = r.state;
    if (r.result === 'added') added++;
    if (r.result) changed = true;
  }
  return { state: s, added, changed };
}

/** Hides a reminder on this phone; the alert itself stays (the dispatcher closes it). */
export function dismissReminder(state: ReminderState, id: string): ReminderState {
  return { ...state, list: state.list.filter((r) => r.alert.id !== id) };
}

/** A reminder's kind in words. */
export const reminderKind = (kind: AlertKind): string => t(`reminder.kind.${kind}`);

/** What the worker should do about it, in words ('' for none). */
export function reminderHint(kind: AlertKind): string {
  switch (kind) {
    case 'not_visited':
      return t('reminder.hint.visit');
    case 'place_overdue':
      return t('reminder.hint.inspect');
    case 'fence_enter':
    case 'fence_exit':
    case 'risk_zone':
      return t('reminder.hint.zone');
    case 'left_grid':
    case 'motionless':
      return t('reminder.hint.call');
    default:
      return '';
  }
}

/** How the reminder looks: a safety warning (zones), a call coming (脱岗, 静止), or a task of the day (patrol). */
export function reminderTone(kind: AlertKind): 'safety' | 'call' | 'patrol' {
  if (kind === 'fence_enter' || kind === 'fence_exit' || kind === 'risk_zone') return 'safety';
  if (kind === 'left_grid' || kind === 'motionless') return 'call';
  return 'patrol';
}

/** The server's words for it: the raised step's note (which grid and time, which place, which zone). */
export function reminderNote(a: Pick<SosAlert, 'steps'>): string {
  return (a.steps.find((s) => s.action === 'raised') ?? a.steps[0])?.note?.trim() ?? '';
}

/** When it was raised: HH:MM today, MM-DD HH:MM on another day. */
export function reminderTime(raisedMs: number, now: number): string {
  const today = localDate(raisedMs) === localDate(now);
  return today ? formatTimeOfDay(raisedMs) : formatDateTime(raisedMs);
}

/** The storage behind the dismissed ids (sessionStorage in the page; a Map in the tests). */
export interface IdStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const DISMISSED_KEY = 'riskmap.field.dismissedReminders';

/**
 * The reminders the worker dismissed (×) on this phone, for the browser tab's
 * life (sessionStorage); in memory only when storage is unavailable.
 */
export class DismissedIds {
  private ids: string[];

  constructor(private readonly store: IdStore | null) {
    this.ids = [];
    try {
      const raw = store?.getItem(DISMISSED_KEY);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      if (Array.isArray(parsed)) this.ids = parsed.filter((x): x is string => typeof x === 'string').slice(-MAX_REMEMBERED);
    } catch {
      // unreadable: start afresh
    }
  }

  get set(): ReadonlySet<string> {
    return new Set(this.ids);
  }

  has(id: string): boolean {
    return this.ids.includes(id);
  }

  add(id: string): void {
    this.ids = remember(this.ids, id);
    try {
      this.store?.setItem(DISMISSED_KEY, JSON.stringify(this.ids));
    } catch {
      // storage full or refused: remembered in memory for this page
    }
  }
}
