// 上岗/下岗 — the field worker checks in (on duty, free for tasks) or out, with
// where they stand when the page knows it. A task (任务中) or an SOS (求助)
// owns the status while it lasts: the button waits, and says what frees it.

import type { Api } from '../shared/api';
import { errorMessage, showError } from '../shared/errors';
import { esc } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { Duty, StaffLive } from '../shared/types';

addTranslations({
  zh: {
    'duty.title': '在岗状态',
    'duty.check_in': '上岗',
    'duty.check_out': '下岗',
    'duty.unknown': '正在读取…',
    'duty.hint.off': '上岗后可接收派遣任务',
    'duty.hint.available': '可接收派遣任务；下班或离开时请点“下岗”',
    'duty.hint.busy': '任务中：任务办结后自动恢复在岗',
    'duty.hint.sos': '求助中：求助处理结束后恢复在岗',
    'duty.hint.no_position': '请共享位置：否则指挥中心将显示您为离线，也不会向您派遣任务',
  },
  en: {
    'duty.title': 'Duty',
    'duty.check_in': 'Check in',
    'duty.check_out': 'Check out',
    'duty.unknown': 'Reading…',
    'duty.hint.off': 'Check in to receive tasks',
    'duty.hint.available': 'Tasks can be dispatched to you; check out when you leave',
    'duty.hint.busy': 'On a task: finishing it puts you back on duty',
    'duty.hint.sos': 'SOS: you are back on duty once it is dealt with',
    'duty.hint.no_position': 'Share your location: otherwise the command centre sees you as offline and dispatches nothing to you',
  },
});

/** Where the phone stands, as the duty change sends it (a fix of the worker's own). */
export interface DutyPosition {
  lon: number;
  lat: number;
  t: number;
  accuracy?: number;
}

/** The phone's latest reading (fixSharer's Reading fits). */
export type PhoneReading = Omit<DutyPosition, 'accuracy'> & { accuracy: number | null };

/**
 * A reading older than this says little of where the worker stands now: the
 * check-in goes without it rather than with a stale place.
 */
export const POSITION_MAX_AGE_MS = 2 * 60_000;

/** What the control offers in each status: the change the button asks for, if any. */
export function dutyButton(d: Duty | null): 'available' | 'off' | null {
  if (d === 'off') return 'available';
  if (d === 'available') return 'off';
  return null;
}

/** The phone's reading as a request's `position`, when it is recent (the duty change, the SOS). */
export function recentPosition(reading: PhoneReading | null, now: number): DutyPosition | null {
  if (!reading || now - reading.t > POSITION_MAX_AGE_MS) return null;
  const position: DutyPosition = { lon: reading.lon, lat: reading.lat, t: reading.t };
  if (reading.accuracy !== null && Number.isFinite(reading.accuracy)) position.accuracy = reading.accuracy;
  return position;
}

/** The body of `POST /api/staff/{id}/duty`: the position only when it is recent. */
export function dutyRequest(duty: 'available' | 'off', reading: PhoneReading | null, now: number): { duty: string; position?: DutyPosition } {
  const position = recentPosition(reading, now);
  return position ? { duty, position } : { duty };
}

export interface DutyHooks {
  /** The phone's latest reading, if any. */
  position: () => PhoneReading | null;
  /** Whether the page is sharing its location now. */
  sharing: () => boolean;
}

export class DutyControl {
  /** The staff member's status as last heard (null until read). */
  duty: Duty | null = null;
  private pending = false;
  /** Why the last change was refused; shown until the next attempt. */
  private refusal: unknown = null;
  /**
   * What is drawn: the page calls render() on every location reading, and a
   * button redrawn under a finger loses the tap, so unchanged HTML is not rewritten.
   */
  private drawn = '';

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly staffId: string,
    private readonly hooks: DutyHooks,
  ) {
    el.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-duty]');
      if (b) void this.change(b.dataset.duty as 'available' | 'off');
    });
  }

  /** Reads the status from the server (on start, after reconnecting, after a task changes it). */
  async load(): Promise<void> {
    try {
      const s = await this.api.get<StaffLive>(`/api/staff/${encodeURIComponent(this.staffId)}`);
      this.set(s.duty);
    } catch {
      // the next push or reload tells; the control keeps what it showed
    }
  }

  /** A status pushed live (staff_update, or a move of the worker's own). */
  set(d: Duty): void {
    if (d === this.duty) return;
    this.duty = d;
    // A refusal is old news once the button works again (the task is done).
    if (dutyButton(d)) this.refusal = null;
    this.render();
  }

  private async change(duty: 'available' | 'off'): Promise<void> {
    this.pending = true;
    this.refusal = null;
    this.render();
    try {
      const r = await this.api.post<{ duty: Duty }>(
        `/api/staff/${encodeURIComponent(this.staffId)}/duty`,
        dutyRequest(duty, this.hooks.position(), Date.now()),
      );
      this.duty = r.duty;
    } catch (e) {
      this.refusal = e;
      // A task or an SOS may have taken the status meanwhile: show what it is.
      void this.load();
    }
    this.pending = false;
    this.render();
  }

  render(): void {
    const d = this.duty;
    const next = dutyButton(d);
    // Busy and SOS are on duty too: their button is 下岗, waiting for the task or the SOS to end.
    const onDuty = d === 'available' || d === 'busy' || d === 'sos';
    const hint = d === null ? '' : d === 'available' && !this.hooks.sharing() ? t('duty.hint.no_position') : t(`duty.hint.${d}`);
    const html = `<h2>${esc(t('duty.title'))}</h2>
      <div class="duty-row">
        <span class="duty-state duty-${d ?? 'unknown'}" data-testid="duty-state">${esc(d ? t(`duty.${d}`) : t('duty.unknown'))}</span>
        <button class="duty-button ${onDuty ? 'check-out' : 'check-in'}" data-testid="duty-button"
          ${next ? `data-duty="${next}"` : ''} ${!next || this.pending ? 'disabled' : ''}>${esc(onDuty ? t('duty.check_out') : t('duty.check_in'))}</button>
      </div>
      <p class="hint" data-testid="duty-hint">${esc(hint)}</p>
      <p class="error" data-testid="duty-error"></p>`;
    // A refusal's sentence depends on the language too: part of what is drawn.
    const key = `${html}|${this.refusal ? errorMessage(this.refusal, 'duty') : ''}`;
    if (key === this.drawn) return;
    this.drawn = key;
    this.el.dataset.duty = d ?? '';
    this.el.innerHTML = html;
    if (this.refusal) showError(this.el.querySelector('.error')!, this.refusal, 'duty');
  }
}
