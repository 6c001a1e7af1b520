// The track replay controls: staff id, time range, play/pause, speed, and a
// slider; the track is drawn on the map with a moving head.

import type { GeoJSONSource, Map as MapLibreMap } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { esc, formatDateTime, fromDateTimeLocal, toDateTimeLocal } from '../shared/format';
import { onLangChange, t } from '../shared/i18n';
import type { TrackFix } from '../shared/types';
import { errorMessage } from '../shared/errors';
import { findStaffOrId, suggestion, suggestions } from './staffSearch';
import type { StaffStore } from './staffStore';
import { positionAt, ReplayClock } from './trackReplay';

const SPEEDS = [1, 10, 60, 300, 1800];

export class ReplayPanel {
  private fixes: TrackFix[] = [];
  private clock: ReplayClock | null = null;
  private raf = 0;
  /** What the status line says, in whichever language is chosen. */
  private said: (() => string) | null = null;
  /** Where the replayed staff member is at the replay clock (null before a track loads). */
  head: [number, number] | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly map: MapLibreMap,
    private readonly staff: StaffStore,
    /** Whether the store holds every member of the scope (not only a street's: staffCensus.ts). */
    private readonly holdsEveryone: () => boolean = () => true,
  ) {
    this.el.addEventListener('click', (ev) => this.onClick(ev));
    this.el.addEventListener('change', (ev) => this.onChange(ev));
    this.el.addEventListener('input', (ev) => this.onInput(ev));
    onLangChange(() => this.relabel());
  }

  open(staffId = ''): void {
    const now = Date.now();
    const known = staffId ? this.staff.byId.get(staffId) : undefined;
    const typed = known ? suggestion(known) : staffId;
    this.el.hidden = false;
    this.said = null;
    this.el.innerHTML = `<button class="close" data-close>✕</button><h2 data-t="replay.title">${esc(t('replay.title'))}</h2>
      <div class="replay-form">
        <label><span data-t="replay.staff">${esc(t('replay.staff'))}</span><input name="staff" list="replay-staff" autocomplete="off" value="${esc(typed)}" /></label>
        <datalist id="replay-staff"></datalist>
        <label><span data-t="replay.from">${esc(t('replay.from'))}</span><input name="from" type="datetime-local" value="${toDateTimeLocal(now - 2 * 3600_000)}" /></label>
        <label><span data-t="replay.to">${esc(t('replay.to'))}</span><input name="to" type="datetime-local" value="${toDateTimeLocal(now + 60_000)}" /></label>
        <button data-load data-t="replay.load">${esc(t('replay.load'))}</button>
      </div>
      <div class="replay-controls">
        <button data-play disabled>${esc(t('replay.play'))}</button>
        <label><span data-t="replay.speed">${esc(t('replay.speed'))}</span><select name="speed">${SPEEDS.map((s) => `<option value="${s}" ${s === 60 ? 'selected' : ''}>${s}×</option>`).join('')}</select></label>
        <input name="seek" type="range" min="0" max="1000" value="0" disabled />
        <span class="replay-time"></span>
      </div>
      <div class="replay-status"></div>`;
  }

  /** Says `text` in the status line, and again in the other language when it changes. */
  private say(text: () => string): void {
    this.said = text;
    this.el.querySelector('.replay-status')!.textContent = text();
  }

  /** The labels, the play button and the status line in the language now chosen; what was typed stays. */
  private relabel(): void {
    if (this.el.hidden) return;
    for (const n of this.el.querySelectorAll<HTMLElement>('[data-t]')) n.textContent = t(n.dataset.t!);
    const play = this.el.querySelector('[data-play]');
    if (play) play.textContent = this.clock?.playing ? t('replay.pause') : t('replay.play');
    if (this.said) this.el.querySelector('.replay-status')!.textContent = this.said();
  }

  close(): void {
    cancelAnimationFrame(this.raf);
    this.clock = null;
    this.fixes = [];
    this.setTrack([], null);
    this.el.hidden = true;
    this.el.innerHTML = '';
  }

  private input(name: string): HTMLInputElement | HTMLSelectElement {
    return this.el.querySelector(`[name="${name}"]`) as HTMLInputElement | HTMLSelectElement;
  }

  private async load(): Promise<void> {
    const query = this.input('staff').value.trim();
    const from = fromDateTimeLocal(this.input('from').value);
    const to = fromDateTimeLocal(this.input('to').value);
    const status = this.el.querySelector('.replay-status')!;
    status.classList.remove('error');
    status.removeAttribute('data-fixes');
    if (!query || !Number.isFinite(from) || !Number.isFinite(to)) return;
    const match = findStaffOrId(query, this.staff.byId.values(), this.holdsEveryone());
    if (match.kind !== 'one') {
      // No track is shown for nobody: the last one goes.
      cancelAnimationFrame(this.raf);
      this.clock = null;
      this.setTrack([], null);
      status.classList.add('error');
      status.setAttribute('data-match', match.kind);
      this.say(() => (match.kind === 'many' ? t('replay.ambiguous').replace('{n}', String(match.count)) : t('replay.no_match')).replace('{q}', query));
      return;
    }
    status.setAttribute('data-match', 'one');
    try {
      const r = await this.api.get<{ fixes: TrackFix[] }>(`/api/staff/${encodeURIComponent(match.id)}/track`, { from, to, limit: 10000 });
      this.fixes = r.fixes;
    } catch (e) {
      status.classList.add('error');
      this.say(() => errorMessage(e, 'load'));
      return;
    }
    const n = this.fixes.length;
    this.say(() => (n ? `${n} ${t('replay.fixes')}` : t('replay.empty')));
    status.setAttribute('data-fixes', String(this.fixes.length));
    cancelAnimationFrame(this.raf);
    if (this.fixes.length === 0) {
      this.clock = null;
      this.setTrack([], null);
      return;
    }
    const first = this.fixes[0]!.t;
    const last = this.fixes[this.fixes.length - 1]!.t;
    this.clock = new ReplayClock(first, Math.max(last, first + 1), Number(this.input('speed').value));
    (this.el.querySelector('[data-play]') as HTMLButtonElement).disabled = false;
    (this.input('seek') as HTMLInputElement).disabled = false;
    const coords = this.fixes.map((f) => [f.lon, f.lat] as [number, number]);
    this.setTrack(coords, coords[0]!);
    const lons = coords.map((c) => c[0]);
    const lats = coords.map((c) => c[1]);
    this.map.fitBounds([Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)], { padding: 120, maxZoom: 17, duration: 600 });
    this.draw();
  }

  private setTrack(line: [number, number][], head: [number, number] | null): void {
    (this.map.getSource('track') as GeoJSONSource | undefined)?.setData({
      type: 'FeatureCollection',
      features: line.length > 1 ? [{ type: 'Feature', geometry: { type: 'LineString', coordinates: line }, properties: {} }] : [],
    });
    (this.map.getSource('track_head') as GeoJSONSource | undefined)?.setData({
      type: 'FeatureCollection',
      features: head ? [{ type: 'Feature', geometry: { type: 'Point', coordinates: head }, properties: {} }] : [],
    });
  }

  /** One frame: move the head to the clock's time, and keep going while playing. */
  private draw = (): void => {
    if (!this.clock) return;
    const tt = this.clock.now(performance.now());
    const p = positionAt(this.fixes, tt);
    if (p) {
      this.head = [p.lon, p.lat];
      (this.map.getSource('track_head') as GeoJSONSource | undefined)?.setData({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [p.lon, p.lat] }, properties: {} }],
      });
    }
    const span = this.clock.end - this.clock.start;
    (this.input('seek') as HTMLInputElement).value = String(Math.round(((tt - this.clock.start) / span) * 1000));
    this.el.querySelector('.replay-time')!.textContent = formatDateTime(tt);
    (this.el.querySelector('[data-play]') as HTMLButtonElement).textContent = this.clock.playing ? t('replay.pause') : t('replay.play');
    if (this.clock.playing) this.raf = requestAnimationFrame(this.draw);
  };

  private onClick(ev: Event): void {
    const el = ev.target as HTMLElement;
    if (el.closest('[data-close]')) return this.close();
    if (el.closest('[data-load]')) {
      void this.load();
      return;
    }
    if (el.closest('[data-play]') && this.clock) {
      if (this.clock.playing) this.clock.pause(performance.now());
      else this.clock.play(performance.now());
      cancelAnimationFrame(this.raf);
      this.draw();
    }
  }

  private onChange(ev: Event): void {
    const el = ev.target as HTMLInputElement;
    if (el.name === 'speed' && this.clock) this.clock.setSpeed(Number(el.value), performance.now());
  }

  private onInput(ev: Event): void {
    const el = ev.target as HTMLInputElement;
    if (el.name === 'staff') {
      const list = this.el.querySelector('#replay-staff');
      if (list) list.innerHTML = suggestions(el.value, this.staff.byId.values()).map((v) => `<option value="${esc(v)}"></option>`).join('');
    }
    if (el.name === 'seek' && this.clock) {
      this.clock.seek(this.clock.start + ((this.clock.end - this.clock.start) * Number(el.value)) / 1000, performance.now());
      if (!this.clock.playing) this.draw();
    }
  }
}
