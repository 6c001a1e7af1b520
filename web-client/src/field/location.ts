// 位置共享 on the field page: the browser's readings (watchPosition) turned
// into fixes sent at the chosen interval over /ws, or as a REST batch when
// the connection is down; what sharing is doing, shown as it is. While an SOS
// runs the phone shares every share_every_s seconds, asking the GPS for a
// fresh reading each time (a phone standing still gets none from the watch).

import { type Api, ApiError } from '../shared/api';
import { esc, formatClock } from '../shared/format';
import { t } from '../shared/i18n';
import type { ServerMessage } from '../shared/types';
import { FixSharer, type OutgoingFix, type Reading } from './fixSharer';
import { geoHelp, type GeoState } from './geoState';
import { sharingInterval } from './sos';
import { latLon } from './taskCard';

const INTERVALS_S = [5, 10, 30, 60];
const GEO_OPTIONS: PositionOptions = { enableHighAccuracy: true, maximumAge: 5000, timeout: 30_000 };

export interface LocationHooks {
  /** Sends a message over /ws; false when the connection is down. */
  send: (m: object) => boolean;
  /** A new reading (the task cards' distances follow it). */
  read: (r: Reading) => void;
  /** Sharing started, stopped or changed state (the duty hint and the SOS banner say so). */
  changed: () => void;
}

export class LocationSharing {
  /** Where location sharing stands, shown as it is (never "sharing" when denied). */
  geo: GeoState = 'off';
  readonly sharer = new FixSharer(10_000);
  /** The interval the worker chose; an SOS shortens it while it runs. */
  private chosenMs = 10_000;
  private sosEveryS: number | null = null;
  private watchId: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private sosTimer: ReturnType<typeof setInterval> | null = null;
  private lastAck: { at: number; applied: number } | null = null;
  private fixRefused = '';
  private sendSeq = 0;
  private inFlight = new Map<string, OutgoingFix[]>();

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly hooks: LocationHooks,
  ) {
    el.addEventListener('click', (ev) => {
      if (!(ev.target as HTMLElement).closest('[data-share]')) return;
      if (this.watchId === null) this.start();
      else this.stop();
    });
    el.addEventListener('change', (ev) => {
      const s = ev.target as HTMLSelectElement;
      if (s.name !== 'interval') return;
      this.chosenMs = Number(s.value) * 1000;
      this.sharer.intervalMs = sharingInterval(this.chosenMs, this.sosEveryS);
    });
  }

  get sharing(): boolean {
    return this.geo === 'sharing';
  }

  /** What the browser already knows about the location permission, shown before any click. */
  async checkPermission(): Promise<void> {
    try {
      const p = await navigator.permissions.query({ name: 'geolocation' });
      const apply = () => {
        if (p.state === 'denied') {
          if (this.watchId !== null) this.stop();
          this.geo = 'denied';
        } else if (this.geo === 'denied') this.geo = 'off';
        this.render();
      };
      p.onchange = apply;
      if (p.state === 'denied') apply();
    } catch {
      // no Permissions API: the first watchPosition answer tells
    }
  }

  start(): void {
    if (!('geolocation' in navigator)) {
      this.geo = 'unavailable';
      this.render();
      return;
    }
    this.geo = 'waiting';
    this.watchId = navigator.geolocation.watchPosition(
      (p) => this.onPosition(p),
      (e) => {
        if (e.code === e.PERMISSION_DENIED) {
          // Nothing will come: stop, and say so (the button offers to try again).
          this.stop();
          this.geo = 'denied';
        } else {
          this.geo = e.code === e.TIMEOUT ? 'waiting' : 'unavailable';
        }
        this.render();
      },
      GEO_OPTIONS,
    );
    this.timer = setInterval(() => this.flush(), 1000);
    this.render();
  }

  stop(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    if (this.timer) clearInterval(this.timer);
    this.watchId = null;
    this.timer = null;
    this.geo = 'off';
    this.render();
  }

  /**
   * An SOS started (share every `everyS` seconds, starting to share if it was
   * off and the permission allows) or ended (null: back to the chosen pace).
   */
  setSosPace(everyS: number | null): void {
    this.sosEveryS = everyS;
    this.sharer.intervalMs = sharingInterval(this.chosenMs, everyS);
    if (this.sosTimer) clearInterval(this.sosTimer);
    this.sosTimer = null;
    if (everyS) {
      if (this.watchId === null && this.geo !== 'denied') this.start();
      // A fresh reading each time: the watch says nothing while the phone stands still.
      this.sosTimer = setInterval(() => {
        if (this.watchId !== null) navigator.geolocation.getCurrentPosition((p) => this.onPosition(p), () => undefined, { ...GEO_OPTIONS, maximumAge: 0 });
      }, everyS * 1000);
    }
    this.render();
  }

  /** Answers to the fixes sent over /ws; true if the message was one. */
  onMessage(m: ServerMessage): boolean {
    if (m.type === 'ack') {
      this.inFlight.delete(String(m.id));
      this.lastAck = { at: Date.now(), applied: m.applied };
      this.render();
      return true;
    }
    if (m.type === 'error' && m.id !== undefined && this.inFlight.has(String(m.id))) {
      // Refused (e.g. out of range): dropped, not retried; the reason is shown.
      this.inFlight.delete(String(m.id));
      this.fixRefused = t('field.fix_refused');
      this.render();
      return true;
    }
    return false;
  }

  private onPosition(p: GeolocationPosition): void {
    if (this.watchId === null) return;
    this.geo = 'sharing';
    const r: Reading = {
      lon: p.coords.longitude,
      lat: p.coords.latitude,
      t: p.timestamp || Date.now(),
      accuracy: p.coords.accuracy,
      speed: p.coords.speed,
      heading: p.coords.heading,
    };
    this.sharer.read(r);
    this.render();
    this.hooks.read(r);
    this.flush();
  }

  /** Sends what is due: over /ws when connected, else as a REST batch; undelivered fixes wait. */
  private flush(): void {
    const fixes = this.sharer.due(Date.now());
    if (fixes.length === 0) return;
    const id = `f${++this.sendSeq}`;
    if (this.hooks.send(fixes.length === 1 ? { type: 'fix', id, ...fixes[0] } : { type: 'fixes', id, fixes })) {
      this.inFlight.set(id, fixes);
      return;
    }
    this.api
      .post<{ applied: number }>('/api/fixes', { fixes })
      .then((r) => {
        this.lastAck = { at: Date.now(), applied: r.applied };
        this.render();
      })
      .catch((e) => {
        // 4xx: the batch is refused as a whole and would be refused again.
        if (!(e instanceof ApiError) || e.status >= 500) this.sharer.requeue(fixes);
      });
  }

  render(): void {
    const r = this.sharer.lastReading;
    const on = this.watchId !== null;
    const interval = this.chosenMs / 1000;
    const help = geoHelp(this.geo);
    this.el.dataset.geo = this.geo;
    this.el.innerHTML = `
      <button data-share class="${on ? 'on' : ''}">${esc(on ? t('field.stop') : t('field.share'))}</button>
      <span class="state geo-${this.geo}" data-testid="geo-state">${esc(t(`geo.${this.geo}`))}</span>
      <label>${esc(t('field.interval'))} <select name="interval">${INTERVALS_S.map((s) => `<option value="${s}" ${s === interval ? 'selected' : ''}>${s} s</option>`).join('')}</select></label>
      ${this.sosEveryS ? `<p class="notice sos-pace" data-testid="sos-pace">${esc(t('sos.sharing').replace('{s}', String(this.sosEveryS)))}</p>` : ''}
      ${help ? `<p class="error geo-help" role="alert" data-testid="geo-help">${esc(help)}</p>` : ''}
      <dl>
        <dt>${esc(t('field.accuracy'))}</dt><dd data-testid="accuracy">${r?.accuracy != null ? `±${Math.round(r.accuracy)} m` : '—'}</dd>
        <dt>${esc(t('field.last_fix'))}</dt><dd data-testid="last-fix">${r ? `${formatClock(r.t)} · ${latLon(r.lon, r.lat)}` : esc(t('field.no_position'))}</dd>
        <dt>${esc(t('field.acked'))}</dt><dd data-testid="acked">${this.lastAck ? formatClock(this.lastAck.at) : '—'}${this.sharer.pendingCount ? ` (+${this.sharer.pendingCount})` : ''}</dd>
      </dl>
      <p class="error">${esc(this.fixRefused)}</p>`;
    this.hooks.changed();
  }
}
