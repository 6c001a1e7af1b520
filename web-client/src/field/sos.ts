// 一键求助 — the worker's SOS on the phone: a red button held for two seconds
// sends it (with where the phone stands), then a banner says it went, whether
// a dispatcher has taken it and who is nearest; 撤销求助 (asked first) calls it
// off. While it runs the page shares its position more often (share_every_s).
// The alert's changes come over /ws; a reload reads the running one again.

import { ApiError, type Api } from '../shared/api';
import { AlertBook, isSos, lastStep, sosOnly } from '../shared/alertBook';
import { errorMessage, showError } from '../shared/errors';
import { esc, formatClock, formatDistance } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { SosAlert } from '../shared/types';
import { type DutyPosition, type PhoneReading, recentPosition } from './duty';
import { SosHold } from './sosButton';

addTranslations({
  zh: {
    'sos.title': '一键求助',
    'sos.button': '一键求助 SOS',
    'sos.keep_holding': '继续按住…',
    'sos.hint': '遇到危险时按住按钮 2 秒：调度中心会立即收到您的求助和位置',
    'sos.sending': '正在发出求助…',
    'sos.sent': '求助已发出',
    'sos.waiting': '正在等待调度员响应：调度中心会持续收到警报，直到有人响应',
    'sos.taken': '已有调度员响应（{by}，{at}），救援正在赶来',
    'sos.helpers': '离您最近的同事',
    'sos.no_helpers': '附近暂无在岗同事',
    'sos.sharing': '求助期间每 {s} 秒共享一次位置',
    'sos.not_sharing': '位置未共享：调度中心只能看到您最后上报的位置，请点“共享位置”',
    'sos.cancel': '撤销求助',
    'sos.confirm': '确定撤销求助吗？调度中心将停止为您处置。',
    'sos.confirm_yes': '确定撤销',
    'sos.confirm_no': '继续求助',
    'sos.cancelling': '正在撤销…',
    'sos.ended.cancelled': '求助已撤销（{at}）',
    'sos.ended.closed': '求助已处置完毕（{by}，{at}）',
  },
  en: {
    'sos.title': 'SOS',
    'sos.button': 'SOS — call for help',
    'sos.keep_holding': 'Keep holding…',
    'sos.hint': 'In danger, hold the button for 2 seconds: the command centre gets your call and your position at once',
    'sos.sending': 'Sending the SOS…',
    'sos.sent': 'SOS sent',
    'sos.waiting': 'Waiting for a dispatcher: the command centre is alerted until one takes it',
    'sos.taken': 'Help is coming — taken by {by} at {at}',
    'sos.helpers': 'Nearest colleagues',
    'sos.no_helpers': 'No colleague on duty nearby',
    'sos.sharing': 'Sharing your position every {s} s while the SOS lasts',
    'sos.not_sharing': 'Location not shared: the command centre sees only your last position; tap “Share location”',
    'sos.cancel': 'Cancel SOS',
    'sos.confirm': 'Cancel the SOS? The command centre will stand down.',
    'sos.confirm_yes': 'Yes, cancel it',
    'sos.confirm_no': 'Keep the SOS',
    'sos.cancelling': 'Cancelling…',
    'sos.ended.cancelled': 'SOS cancelled at {at}',
    'sos.ended.closed': 'SOS closed by {by} at {at}',
  },
});

/** How often the phone shares while an SOS runs, when the server does not say. */
export const SOS_SHARE_EVERY_S = 5;

/** The body of `POST /api/staff/{id}/sos`: the phone's position when it is recent. */
export function sosRequest(reading: PhoneReading | null, now: number): { position?: DutyPosition } {
  const position = recentPosition(reading, now);
  return position ? { position } : {};
}

/** The sharing interval: the worker's choice, shortened to `sosEveryS` while an SOS runs. */
export function sharingInterval(chosenMs: number, sosEveryS: number | null): number {
  return sosEveryS ? Math.min(chosenMs, sosEveryS * 1000) : chosenMs;
}

const fill = (key: string, vars: Record<string, string>) => Object.entries(vars).reduce((s, [k, v]) => s.replace(`{${k}}`, v), t(key));

export interface SosHooks {
  /** The phone's latest reading, if any. */
  position: () => PhoneReading | null;
  /** Whether the page is sharing its location now. */
  sharing: () => boolean;
  /** An SOS started (how often to share, in seconds) or ended (null). */
  shareEvery: (s: number | null) => void;
  /** The SOS changed the worker's duty (求助 while it lasts). */
  dutyChanged: () => void;
}

export class SosControl {
  readonly book = new AlertBook();
  /** When the last hold fired (Date.now()), for the tests' timing. */
  firedAt = 0;
  private busy: 'sending' | 'cancelling' | null = null;
  private confirming = false;
  private refusal: unknown = null;
  private everyS = SOS_SHARE_EVERY_S;
  /** Alerts seen running on this page: only their end is announced. */
  private seenRunning = new Set<string>();
  private sharedFor: number | null = null;
  private drawn = '';
  readonly hold: SosHold;

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly staffId: string,
    private readonly hooks: SosHooks,
  ) {
    this.hold = new SosHold(el, {
      fire: () => void this.fire(),
      holding: (on) => {
        const label = el.querySelector('.sos-label');
        if (label) label.textContent = t(on ? 'sos.keep_holding' : 'sos.button');
      },
    });
    el.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-sos]');
      if (!b) return;
      if (b.dataset.sos === 'cancel') this.confirming = true;
      else if (b.dataset.sos === 'keep') this.confirming = false;
      else if (b.dataset.sos === 'confirm') return void this.cancel();
      this.render();
    });
  }

  /** My newest SOS, running or over. */
  get current(): SosAlert | null {
    return this.book.latestOf(this.staffId);
  }

  /** My running SOS, if any. */
  get running(): SosAlert | null {
    const a = this.current;
    return a && a.state !== 'closed' ? a : null;
  }

  /** Reads my alerts (on start and after reconnecting: a change may have been missed). */
  async load(): Promise<void> {
    try {
      const r = await this.api.get<{ alerts: SosAlert[] }>('/api/alerts');
      for (const a of sosOnly(r.alerts)) if (a.staff_id === this.staffId) this.book.apply(a);
      this.changed();
    } catch {
      // the next push tells
    }
  }

  /** An alert pushed over /ws (mine: others are not for this page). */
  apply(a: SosAlert): void {
    if (a.staff_id !== this.staffId || !isSos(a)) return;
    const before = this.book.get(a.id)?.state;
    if (!this.book.apply(a)) return;
    if (a.state === 'acknowledged' && before === 'open') navigator.vibrate?.(150);
    this.changed();
  }

  private changed(): void {
    const running = this.running;
    if (running) this.seenRunning.add(running.id);
    else this.confirming = false;
    const every = running ? this.everyS : null;
    if (every !== this.sharedFor) {
      this.sharedFor = every;
      this.hooks.shareEvery(every);
      this.hooks.dutyChanged();
    }
    this.render();
  }

  private async fire(): Promise<void> {
    this.firedAt = Date.now();
    this.busy = 'sending';
    this.refusal = null;
    this.render();
    navigator.vibrate?.([200, 100, 200]);
    const url = `/api/staff/${encodeURIComponent(this.staffId)}/sos`;
    const body = sosRequest(this.hooks.position(), Date.now());
    type Answer = { alert: SosAlert; share_every_s?: number };
    try {
      let r: Answer;
      try {
        r = await this.api.post<Answer>(url, body);
      } catch (e) {
        // A position the server refuses (the phone's clock) must not stop the call for help.
        if (!(body.position && e instanceof ApiError && e.status === 400)) throw e;
        r = await this.api.post<Answer>(url, {});
      }
      this.everyS = r.share_every_s ?? SOS_SHARE_EVERY_S;
      this.book.apply(r.alert);
    } catch (e) {
      this.refusal = e;
    }
    this.busy = null;
    this.changed();
  }

  private async cancel(): Promise<void> {
    this.confirming = false;
    this.busy = 'cancelling';
    this.refusal = null;
    this.render();
    try {
      const r = await this.api.post<{ alert: SosAlert }>(`/api/staff/${encodeURIComponent(this.staffId)}/sos/cancel`, {});
      this.book.apply(r.alert);
    } catch (e) {
      this.refusal = e;
      // Closed meanwhile by a dispatcher (404): read where it stands.
      if (e instanceof ApiError && e.status === 404) void this.load();
    }
    this.busy = null;
    this.changed();
  }

  render(): void {
    const a = this.running;
    const body = a ? this.banner(a) : this.idle();
    const html = `<h2>${esc(t('sos.title'))}</h2>${body}<p class="error" data-testid="sos-error"></p>`;
    const key = `${html}|${this.refusal ? errorMessage(this.refusal, 'sos') : ''}`;
    // A redraw under a finger would drop the hold: unchanged HTML is not rewritten.
    if (key === this.drawn) return;
    this.drawn = key;
    this.el.dataset.sosState = a?.state ?? 'none';
    this.el.innerHTML = html;
    if (this.refusal) showError(this.el.querySelector('.error')!, this.refusal, 'sos');
  }

  private idle(): string {
    const sending = this.busy === 'sending';
    const last = this.current;
    const ended = last && last.state === 'closed' && this.seenRunning.has(last.id) ? endedText(last) : '';
    return `${ended ? `<p class="notice" data-testid="sos-ended">${esc(ended)}</p>` : ''}
      <button class="sos-button" data-sos-hold data-testid="sos-button" aria-describedby="sos-hint" ${sending ? 'disabled' : ''}>
        <span class="sos-ring" aria-hidden="true"></span><span class="sos-label">${esc(t(sending ? 'sos.sending' : 'sos.button'))}</span></button>
      <p class="hint" id="sos-hint">${esc(t('sos.hint'))}</p>`;
  }

  private banner(a: SosAlert): string {
    const taken = lastStep(a, ['acknowledged']);
    const status = taken ? fill('sos.taken', { by: taken.by_name || taken.by, at: formatClock(taken.at_ms) }) : t('sos.waiting');
    const helpers = a.helpers.length
      ? `${esc(t('sos.helpers'))}${esc(t('colon'))}${a.helpers.map((h) => `<span class="helper"><b>${esc(h.name)}</b> ${formatDistance(h.distance_m)}</span>`).join(' · ')}`
      : esc(t('sos.no_helpers'));
    const sharing = this.hooks.sharing() ? fill('sos.sharing', { s: String(this.everyS) }) : t('sos.not_sharing');
    const cancelling = this.busy === 'cancelling';
    const actions = this.confirming
      ? `<div class="sos-confirm" data-testid="sos-confirm"><p>${esc(t('sos.confirm'))}</p>
          <button data-sos="confirm" class="sos-confirm-yes" data-testid="sos-confirm-yes">${esc(t('sos.confirm_yes'))}</button>
          <button data-sos="keep" data-testid="sos-confirm-no">${esc(t('sos.confirm_no'))}</button></div>`
      : `<button data-sos="cancel" class="sos-cancel" data-testid="sos-cancel" ${cancelling ? 'disabled' : ''}>${esc(t(cancelling ? 'sos.cancelling' : 'sos.cancel'))}</button>`;
    return `<div class="sos-banner sos-${a.state}" role="alert" data-testid="sos-banner" data-state="${a.state}" data-alert="${esc(a.id)}">
        <p class="sos-sent"><b>${esc(t('sos.sent'))}</b> <time>${formatClock(a.raised_ms)}</time></p>
        <p class="sos-status" data-testid="sos-status">${esc(status)}</p>
        <p class="sos-helpers" data-testid="sos-helpers">${helpers}</p>
        <p class="sos-share ${this.hooks.sharing() ? '' : 'warn'}">${esc(sharing)}</p>
      </div>${actions}`;
  }
}

/** How my last SOS ended, in a sentence. */
function endedText(a: SosAlert): string {
  const end = lastStep(a, ['cancelled', 'closed']);
  if (!end) return '';
  const at = formatClock(end.at_ms);
  const text = end.action === 'cancelled' ? fill('sos.ended.cancelled', { at }) : fill('sos.ended.closed', { by: end.by_name || end.by, at });
  return end.note ? `${text}${t('colon')}${end.note}` : text;
}
