// 场所检查 (a venue code scanned): a sheet over the field page, opened by the
// printed QR code (the phone's camera opens /field?venue=CODE) or by 扫码检查
// (the camera inside the page when the browser can, and always a box for the
// code printed under the QR). 检查 with its checklist, or 打卡; a note and
// photos; sent with where the phone stands now (POST /api/venues/scan). The
// server's refusal (forged, too far, too rough …) is said plainly, a recorded
// scan as a card.

import '../styles/venue.css';
import { type Api, ApiError } from '../shared/api';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { Inspection } from '../shared/venueTypes';
import type { PhoneReading } from './duty';
import { bindPhotoPicks, type PhotoPicks } from './photoPicks';
import { freshDraft, freshFix, parseVenueCode, type ScanDraft, scanBody } from './venueCode';
import { venueRefusal } from './venueErrors';
import { type ScanFailure, scannerSupported, VenueScanner } from './venueScanner';
import { type FixState, positionText, venueDoneHtml, venueFormHtml } from './venueView';
import './venueLabels';

/** The key of the sheet's photo picker (its phase is `venue`). */
export const VENUE_KEY = 'venue-inspection';

const GEO: PositionOptions = { enableHighAccuracy: true, maximumAge: 10_000, timeout: 20_000 };

export interface VenueHooks {
  /** The phone's latest reading while location sharing runs, if any. */
  reading: () => PhoneReading | null;
}

export class VenueSheet {
  private draft: ScanDraft = freshDraft();
  /** The scan recorded, shown as a card until 再扫一个 or the sheet opens again. */
  outcome: Inspection | null = null;
  /** The server's refusal (kept as it came: it is said again in the other language). */
  private refusal: unknown = null;
  /** A sentence key of what was wrong before sending (no code, no position, a photo failed). */
  private problem = '';
  private sending = false;
  private fix: PhoneReading | null = null;
  private fixState: FixState = 'idle';
  private locating: Promise<PhoneReading | null> | null = null;
  /** A sentence key of what the camera did (read a code, saw another QR code, could not start). */
  private scanNote = '';
  private readonly picks: PhotoPicks;
  private readonly scanner: VenueScanner;
  private readonly body: HTMLElement;

  constructor(
    private readonly el: HTMLElement,
    private readonly entry: HTMLElement,
    private readonly api: Api,
    private readonly hooks: VenueHooks,
  ) {
    el.innerHTML = `<div class="sheet-panel" role="dialog" aria-modal="true" aria-labelledby="venue-title">
      <header><h2 id="venue-title"></h2><button type="button" class="close" data-venue-close data-testid="venue-close">✕</button></header>
      <div class="venue-scanner" hidden><button type="button" class="camera" data-venue-camera data-testid="venue-camera"></button>
        <div class="viewfinder" hidden><video muted playsinline></video><span class="frame"></span></div></div>
      <div class="venue-body"></div></div>`;
    this.body = el.querySelector<HTMLElement>('.venue-body')!;
    this.scanner = new VenueScanner(el.querySelector('video')!, {
      found: (code) => {
        this.draft.codeText = code;
        this.scanNote = 'venue.scanned';
        this.problem = '';
        this.refusal = null;
        navigator.vibrate?.(80);
        this.render();
      },
      foreign: () => this.say('venue.camera_foreign'),
      failed: (why: ScanFailure) => this.say(`venue.camera_${why}`),
      changed: () => this.renderChrome(),
    });
    this.picks = bindPhotoPicks(this.body, api);
    entry.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('[data-venue-open]')) this.open();
    });
    el.addEventListener('click', (ev) => this.onClick(ev));
    el.addEventListener('input', (ev) => this.onInput(ev));
    el.addEventListener('change', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name !== 'kind') return;
      this.draft.kind = input.value === 'check_in' ? 'check_in' : 'inspection';
      this.renderBody();
    });
    el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.submit();
    });
    document.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape' && this.isOpen) this.close();
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /**
   * Opens the sheet: with `code` (the page was opened by a printed QR code) a
   * fresh sheet for it; without, the last one (or a fresh one after a
   * recorded scan), the camera starting when the browser can scan.
   */
  open(code?: string): void {
    if (code !== undefined || this.outcome) {
      this.draft = freshDraft(code ?? '');
      this.outcome = null;
      this.picks.clear(VENUE_KEY, 'venue');
    }
    this.refusal = null;
    this.scanNote = '';
    this.problem = code && 'problem' in parseVenueCode(code) ? 'venue.err.not_code' : '';
    this.el.hidden = false;
    document.body.classList.add('sheet-open');
    this.render();
    void this.locate();
    if (code === undefined && !this.draft.codeText && scannerSupported()) void this.scanner.start();
  }

  close(): void {
    this.scanner.stop();
    this.el.hidden = true;
    document.body.classList.remove('sheet-open');
  }

  private onClick(ev: Event): void {
    const target = ev.target as HTMLElement;
    if (target === this.el || target.closest('[data-venue-close]')) return this.close();
    if (target.closest('[data-venue-again]')) return this.open();
    if (target.closest('[data-venue-camera]')) {
      if (this.scanner.running) this.scanner.stop();
      else {
        this.scanNote = '';
        void this.scanner.start();
      }
      return;
    }
    const toggle = target.closest<HTMLElement>('[data-set-check]');
    const item = toggle ? this.draft.checklist.find((c) => c.key === toggle.dataset.setCheck) : undefined;
    if (!toggle || !item) return;
    item.ok = toggle.dataset.value === 'ok';
    this.renderBody();
    if (!item.ok) this.body.querySelector<HTMLInputElement>(`[data-check-note="${CSS.escape(item.key)}"]`)?.focus();
  }

  private onInput(ev: Event): void {
    const input = ev.target as HTMLInputElement | HTMLTextAreaElement;
    if (input.name === 'code') this.draft.codeText = input.value;
    else if (input.name === 'note') this.draft.note = input.value;
    else if (input.dataset.checkNote) {
      const item = this.draft.checklist.find((c) => c.key === input.dataset.checkNote);
      if (item) item.note = input.value;
    }
  }

  /** Where the phone stands now: the shared location when recent, else asked once. */
  private locate(): Promise<PhoneReading | null> {
    const now = Date.now();
    const shared = freshFix(this.hooks.reading(), now);
    if (shared && (!this.fix || shared.t >= this.fix.t)) {
      this.fix = shared;
      this.fixState = 'ok';
      this.renderPosition();
      return Promise.resolve(shared);
    }
    if (freshFix(this.fix, now)) return Promise.resolve(this.fix);
    return (this.locating ??= this.askPosition().finally(() => (this.locating = null)));
  }

  private async askPosition(): Promise<PhoneReading | null> {
    if (!('geolocation' in navigator)) {
      this.fixState = 'failed';
      this.renderPosition();
      return null;
    }
    this.fixState = 'waiting';
    this.renderPosition();
    try {
      const p = await new Promise<GeolocationPosition>((resolve, reject) => navigator.geolocation.getCurrentPosition(resolve, reject, GEO));
      const accuracy = Number.isFinite(p.coords.accuracy) ? p.coords.accuracy : null;
      // Asked just now (maximumAge is short): the phone's own timestamp is not always its clock's.
      this.fix = { lon: p.coords.longitude, lat: p.coords.latitude, t: Date.now(), accuracy };
      this.fixState = 'ok';
    } catch {
      this.fixState = 'failed';
    }
    this.renderPosition();
    return this.fixState === 'ok' ? this.fix : null;
  }

  private async submit(): Promise<void> {
    if (this.sending) return;
    const parsed = parseVenueCode(this.draft.codeText);
    this.refusal = null;
    if ('problem' in parsed) {
      this.problem = parsed.problem === 'empty' ? 'venue.err.empty' : 'venue.err.not_code';
      this.renderBody();
      this.reveal();
      return;
    }
    this.problem = '';
    this.sending = true;
    this.renderBody();
    try {
      const at = await this.locate();
      if (!at) {
        this.problem = 'venue.err.no_position';
        return;
      }
      const photos = await this.picks.ids(VENUE_KEY, 'venue');
      if (photos === null) {
        this.problem = 'photo.fix';
        return;
      }
      const r = await this.api.post<{ inspection: Inspection }>('/api/venues/scan', scanBody(this.draft, parsed.code, at, photos));
      this.picks.clear(VENUE_KEY, 'venue');
      this.scanner.stop();
      this.outcome = r.inspection;
      this.draft = freshDraft();
      navigator.vibrate?.(120);
    } catch (e) {
      this.refusal = e;
    } finally {
      this.sending = false;
      this.render();
      this.reveal();
    }
  }

  /** The answer in view: the card from its top, a refusal under the button. */
  private reveal(): void {
    if (this.outcome) this.el.querySelector('.sheet-panel')!.scrollTop = 0;
    else this.body.querySelector('[data-testid="venue-error"]')?.scrollIntoView({ block: 'nearest' });
  }

  // ---- drawing -----------------------------------------------------------------

  /** Everything, in the page's language (again after the language switch). */
  render(): void {
    this.entry.innerHTML = `<h2>${esc(t('venue.title'))}</h2><p class="hint">${esc(t('venue.entry_hint'))}</p>
      <button type="button" class="venue-open" data-venue-open data-testid="venue-open">▣ ${esc(t('venue.scan_button'))}</button>`;
    if (!this.isOpen) return;
    this.renderChrome();
    this.renderBody();
  }

  private renderChrome(): void {
    this.el.querySelector('#venue-title')!.textContent = t('venue.title');
    const close = this.el.querySelector<HTMLElement>('header [data-venue-close]')!;
    close.title = t('venue.close');
    close.setAttribute('aria-label', t('venue.close'));
    const scanner = this.el.querySelector<HTMLElement>('.venue-scanner')!;
    scanner.hidden = this.outcome !== null || !scannerSupported();
    this.el.querySelector('[data-venue-camera]')!.textContent = t(this.scanner.running ? 'venue.camera_stop' : 'venue.camera');
    this.el.querySelector<HTMLElement>('.viewfinder')!.hidden = !this.scanner.running;
    if (this.scanner.running && !this.scanNote) this.say('venue.camera_looking');
    else if (!this.scanner.running && this.scanNote === 'venue.camera_looking') this.say('');
  }

  private renderBody(): void {
    if (this.outcome) {
      this.body.innerHTML = venueDoneHtml(this.outcome);
      return;
    }
    // Keep the caret where it was when the field being typed in is drawn again.
    const active = document.activeElement;
    const focused = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? (active.dataset.checkNote ?? active.name) : '';
    this.body.innerHTML = venueFormHtml(this.draft, {
      picks: this.picks.html(VENUE_KEY, 'venue'),
      sending: this.sending,
      error: this.errorHtml(),
      fixState: this.fixState,
      fix: this.fix,
      scanNote: this.scanNote ? t(this.scanNote) : '',
    });
    if (focused && !this.sending) {
      const el = this.body.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-check-note="${CSS.escape(focused)}"], [name="${CSS.escape(focused)}"]:not([type=radio])`);
      el?.focus();
      el?.setSelectionRange(el.value.length, el.value.length);
    }
  }

  private errorHtml(): string {
    if (this.problem) return `<p class="error" role="alert" data-testid="venue-error">${esc(t(this.problem))}</p>`;
    if (this.refusal === null) return '';
    const e = this.refusal;
    const detail = e instanceof ApiError ? ` title="${esc(`${e.status} ${e.code}: ${e.message}`)}" data-status="${e.status}"` : '';
    return `<p class="error" role="alert" data-testid="venue-error"${detail}>${esc(venueRefusal(e))}</p>`;
  }

  private renderPosition(): void {
    const el = this.body.querySelector<HTMLElement>('[data-testid="venue-position"]');
    if (!el) return;
    el.className = `fix-${this.fixState}`;
    el.textContent = positionText(this.fixState, this.fix);
  }

  /** The camera's note under the code box ('' for the box's own hint). */
  private say(key: string): void {
    this.scanNote = key;
    const el = this.body.querySelector<HTMLElement>('[data-testid="venue-scan-note"]');
    if (!el) return;
    el.textContent = t(key || 'venue.code_hint');
    el.classList.toggle('scan-note', key !== '');
  }
}
