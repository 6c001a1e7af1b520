// 提醒 on the field page: the card listing the alerts about the worker
// (reminders.ts holds the list's logic and the words). Read once on load and
// after every reconnect (GET /api/alerts?state=active: a field login reads its
// own), then kept by the /ws alert messages; a new one vibrates briefly and
// comes at the top, flashing; a closed one leaves; × hides one on this phone.
// The card is hidden while there is nothing to show.

import { ApiError, type Api } from '../shared/api';
import { esc } from '../shared/format';
import { onLangChange, t } from '../shared/i18n';
import type { SosAlert } from '../shared/types';
import {
  DismissedIds,
  dismissReminder,
  EMPTY,
  mergeReminder,
  type Reminder,
  reminderHint,
  reminderKind,
  reminderNote,
  reminderTime,
  type ReminderState,
  reminderTone,
  syncReminders,
} from './reminders';

/** A new reminder's buzz: short, not the SOS's or a task's. */
export const REMINDER_VIBRATION = [120, 80, 120];

/** One reminder as drawn. */
export function reminderHtml(r: Reminder, now: number, fresh: boolean): string {
  const a = r.alert;
  const note = reminderNote(a);
  const hint = reminderHint(a.kind);
  const taken = a.state === 'acknowledged' && (a.kind === 'left_grid' || a.kind === 'motionless');
  return `<li class="reminder tone-${reminderTone(a.kind)} ${fresh ? 'new' : ''}" data-testid="reminder" data-alert="${esc(a.id)}" data-kind="${esc(a.kind)}" data-state="${esc(a.state)}">
    <div class="reminder-head"><b data-testid="reminder-kind">${esc(reminderKind(a.kind))}</b>
      <time data-testid="reminder-time">${esc(reminderTime(a.raised_ms, now))}</time>
      <button type="button" class="reminder-dismiss" data-dismiss="${esc(a.id)}" data-testid="reminder-dismiss" aria-label="${esc(t('reminders.dismiss'))}" title="${esc(t('reminders.dismiss'))}">×</button></div>
    ${note ? `<p class="reminder-note" data-testid="reminder-note">${esc(note)}</p>` : ''}
    ${hint ? `<p class="reminder-hint" data-testid="reminder-hint">${esc(hint)}</p>` : ''}
    ${taken ? `<p class="reminder-taken">${esc(t('reminders.taken'))}</p>` : ''}</li>`;
}

function sessionStore(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}

export class ReminderPanel {
  state: ReminderState = EMPTY;
  readonly dismissed = new DismissedIds(sessionStore());
  /** The card (made here: the page's HTML has no place for it). */
  readonly el: HTMLElement;
  /** Reads done (for the tests). */
  loads = 0;
  /** False once the server refused this login the alerts (403): no more reads. */
  private readable = true;
  /** Reminders to flash on the next draw (new on this phone). */
  private fresh = new Set<string>();

  constructor(
    after: HTMLElement,
    private readonly api: Api,
    private readonly staffId: string,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'card reminders';
    this.el.id = 'reminders';
    this.el.dataset.testid = 'reminders';
    this.el.setAttribute('aria-live', 'polite');
    this.el.hidden = true;
    after.insertAdjacentElement('afterend', this.el);
    this.el.addEventListener('click', (ev) => {
      const id = (ev.target as HTMLElement).closest<HTMLElement>('[data-dismiss]')?.dataset.dismiss;
      if (!id) return;
      this.dismissed.add(id);
      this.state = dismissReminder(this.state, id);
      this.render();
    });
    onLangChange(() => this.render());
  }

  /** Reads my active alerts (on load, after a reconnect: a change may have been missed). */
  async load(): Promise<void> {
    if (!this.readable) return;
    const askedAt = Date.now();
    try {
      const r = await this.api.get<{ alerts: SosAlert[] }>('/api/alerts', { state: 'active' });
      const first = this.loads === 0;
      const s = syncReminders(this.state, r.alerts ?? [], this.staffId, this.dismissed.set, askedAt, Date.now());
      this.loads++;
      if (s.added && !first) this.buzz(s.state, this.state);
      this.state = s.state;
      if (s.changed || first) this.render();
    } catch (e) {
      // A login the server does not let read alerts: the pushes still come.
      if (e instanceof ApiError && e.status === 403) this.readable = false;
    }
  }

  /** An alert pushed over /ws (the SOS is the SOS card's). */
  apply(a: SosAlert): void {
    const before = this.state;
    const r = mergeReminder(before, a, this.staffId, this.dismissed.set, Date.now());
    if (!r.result) return;
    this.state = r.state;
    if (r.result === 'added') this.buzz(r.state, before);
    this.render();
  }

  /** Vibrates for, and flashes, the reminders in `now` that `before` did not hold. */
  private buzz(now: ReminderState, before: ReminderState): void {
    for (const r of now.list) if (!before.list.some((b) => b.alert.id === r.alert.id)) this.fresh.add(r.alert.id);
    navigator.vibrate?.(REMINDER_VIBRATION);
  }

  render(): void {
    const list = this.state.list;
    this.el.hidden = list.length === 0;
    const now = Date.now();
    this.el.innerHTML = list.length
      ? `<h2>${esc(t('reminders.title'))} <small data-testid="reminders-count">(${list.length})</small></h2>
        <ul class="reminder-list">${list.map((r) => reminderHtml(r, now, this.fresh.has(r.alert.id))).join('')}</ul>`
      : '';
    // A flash once: the next redraw (the language, another reminder) draws it plain.
    this.fresh.clear();
  }
}
