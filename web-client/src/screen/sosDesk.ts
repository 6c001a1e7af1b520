// The big screen's alert desk: the running alerts — SOS (一键求助) and the
// track rules' 脱岗 and 静止 — from the snapshot, /ws pushes and REST; the
// alarm panel, the markers, and the audible alarm that sounds while an SOS or
// a 静止 (a possible fall) is open (a 脱岗 is shown only). 认领 and 处置完毕 go to the server; the
// answer is shown at once and the push confirms it to every other screen.
//
// The /ws snapshot and pushes follow the drill-down scope; an SOS elsewhere
// in the login's area still matters, so the whole area's list is read again
// on every (re)connection and every half minute.

import type { LngLat, MapGeoJSONFeature, Map as MapLibreMap } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { AlertBook, alarmShouldSound, isRule, isShown, shownOnly, soundsAlarm } from '../shared/alertBook';
import { IntervalBatcher } from '../shared/frame';
import type { BBox, SosAlert, SosAlertMessage, UserRole } from '../shared/types';
import { Alarm } from './alarm';
import { RULE_CELL_LAYERS } from './alertCells';
import { addSosLayers, pastRuleCrowd, SosMarkers } from './sosMap';
import { agoText, canHandleSos, lastedText, renderSosPanel, SOS_PANEL_MAX } from './sosPanel';

/** The alerts' layers on the map, drawn over everything: the markers (sosMap.ts) and a crowd's counts (alertCells.ts). */
export const ALERT_LAYERS: readonly string[] = ['sos-point', 'rule-point', ...RULE_CELL_LAYERS];

/** How often the whole area's alerts are read again, besides the pushes. */
export const SOS_RELOAD_MS = 30_000;

/**
 * Past RULE_CROWD rule alerts, their pushed changes are shown at most once a
 * PANEL_CROWD_MS. A city's thousands of 静止 change many times a second, and
 * each showing sorts them all, rewrites the panel's cards and has the page
 * lay out and paint them again; a list that changes faster than once a second
 * cannot be read anyway.
 */
export const PANEL_CROWD_MS = 1000;

/**
 * Whether a pushed alert's change is shown at once rather than at the crowd's
 * pace: an SOS always, any alert while the rules' are no crowd, and one that
 * should start a silent alarm (a 静止 raised while nothing sounds).
 */
export function showAtOnce(a: SosAlert, crowd: boolean, sounding: boolean): boolean {
  return !crowd || !isRule(a) || (!sounding && a.state === 'open' && soundsAlarm(a.kind));
}

export interface SosDeskHooks {
  /** An area's name, by code (the grid an alert is in). */
  areaName: (code: string) => string | null;
  /** An area's extent, to fly to an alert with no position. */
  areaBBox: (code: string) => BBox | null;
}

export class SosDesk {
  readonly book = new AlertBook();
  readonly alarm = new Alarm();
  private markers: SosMarkers | null = null;
  private readonly canAct: boolean;
  private drafts = new Map<string, string>();
  private errors = new Map<string, unknown>();
  private pending = new Set<string>();
  /** The alert whose marker was clicked on the map (sosPanel.ts lists and marks it). */
  private picked: string | undefined;
  /** The cards listed: SOS_PANEL_MAX more each time the panel's 再列 is clicked, back to SOS_PANEL_MAX once that many hold them all. */
  private listed = SOS_PANEL_MAX;
  /** Whether the rule alerts were past RULE_CROWD when last shown. */
  private crowd = false;
  private readonly shown = new IntervalBatcher(() => this.show(), () => (this.crowd ? PANEL_CROWD_MS : 0));

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly map: MapLibreMap,
    role: UserRole,
    private readonly hooks: SosDeskHooks,
  ) {
    this.canAct = canHandleSos(role);
    this.alarm.onChange = () => this.render();
    // The browser allows sound after a gesture: any click or key on the page.
    for (const type of ['pointerdown', 'keydown'] as const) document.addEventListener(type, () => this.alarm.sounding && this.alarm.unlock(), true);
    el.addEventListener('click', (ev) => void this.onClick(ev));
    el.addEventListener('input', (ev) => {
      const input = ev.target as HTMLInputElement;
      const id = input.closest<HTMLElement>('[data-alert]')?.dataset.alert;
      if (id) this.drafts.set(id, input.value);
    });
    setInterval(() => void this.load(), SOS_RELOAD_MS);
  }

  /** Once the map's style is in: the markers' layers above everything else. */
  attachMap(): void {
    addSosLayers(this.map);
    this.markers = new SosMarkers(this.map);
    this.changed(true);
  }

  /** The running alerts: open ones first. */
  get active(): SosAlert[] {
    return this.book.active();
  }

  /** A snapshot's alerts (a kind this desk does not know is left out). */
  applyMessages(list: readonly SosAlertMessage[] | undefined): void {
    if (list && this.book.applyAll(shownOnly(list.map((m) => m.alert)))) this.changed(true);
  }

  /** A pushed alert. */
  apply(a: SosAlert): void {
    if (isShown(a) && this.book.apply(a)) this.changed(showAtOnce(a, this.crowd, this.alarm.sounding));
  }

  /** Reads the login's whole area: running alerts and those closed in the last day. */
  async load(): Promise<void> {
    try {
      const r = await this.api.get<{ alerts: SosAlert[] }>('/api/alerts');
      if (this.book.applyAll(shownOnly(r.alerts))) this.changed(true);
    } catch {
      // the pushes still come
    }
  }

  /** Once a second: how long ago each was raised (text only: a note being typed keeps its focus). */
  tick(now = Date.now()): void {
    this.book.prune(now);
    this.el.dataset.blink = this.el.dataset.blink === '1' ? '0' : '1';
    this.el.querySelectorAll<HTMLElement>('[data-ago]').forEach((s) => (s.textContent = agoText(now - Number(s.dataset.ago))));
    this.el.querySelectorAll<HTMLElement>('[data-since]').forEach((s) => (s.textContent = lastedText(now - Number(s.dataset.since))));
  }

  /** The alerts changed: shown at once, or at the crowd's pace (PANEL_CROWD_MS). */
  private changed(now: boolean): void {
    this.shown.request(now);
  }

  private show(): void {
    const active = this.active;
    this.crowd = pastRuleCrowd(active);
    const ids = new Set(active.map((a) => a.id));
    for (const m of [this.drafts, this.errors]) for (const id of m.keys()) if (!ids.has(id)) m.delete(id);
    // Sets off render() through onChange when it flips; render() regardless.
    this.alarm.set(alarmShouldSound(active));
    this.render(active);
  }

  /** The panel and the markers, from the running alerts (the book's, sorted, unless given). */
  render(active = this.active): void {
    this.el.hidden = active.length === 0;
    if (active.length <= SOS_PANEL_MAX) this.listed = SOS_PANEL_MAX;
    // (the markers' labels are in the page language)
    this.markers?.set(active);
    // Red while an SOS runs; amber for the rules' alerts alone (a 静止 sounding, a 脱岗).
    const sos = active.some((a) => a.kind === 'sos');
    this.el.dataset.tone = sos ? 'sos' : 'rule';
    document.body.classList.toggle('sos-alarm', this.alarm.sounding && sos);
    document.body.classList.toggle('rule-alarm', this.alarm.sounding && !sos);
    const focused = document.activeElement instanceof HTMLInputElement ? document.activeElement.closest<HTMLElement>('[data-alert]')?.dataset.alert : undefined;
    this.el.dataset.sounding = String(this.alarm.sounding);
    this.el.innerHTML = active.length
      ? renderSosPanel({
          alerts: active,
          now: Date.now(),
          canAct: this.canAct,
          muted: this.alarm.sounding && !this.alarm.audible,
          areaName: this.hooks.areaName,
          drafts: this.drafts,
          errors: this.errors,
          pending: this.pending,
          listed: this.listed,
          picked: this.picked,
        })
      : '';
    if (focused) {
      const input = this.el.querySelector<HTMLInputElement>(`[data-alert="${CSS.escape(focused)}"] input`);
      input?.focus();
      input?.setSelectionRange(input.value.length, input.value.length);
    }
  }

  /** A click on the map over this feature (the topmost): an alert's marker shows its card, a crowd's count zooms in on it; false for another layer's. */
  clicked(f: MapGeoJSONFeature, at: LngLat): boolean {
    if (RULE_CELL_LAYERS.includes(f.layer.id)) this.map.easeTo({ center: at, zoom: this.map.getZoom() + 2 });
    else if (ALERT_LAYERS.includes(f.layer.id)) this.reveal(String(f.properties.id));
    else return false;
    return true;
  }

  /** An alert's marker was clicked on the map: its card shown in the panel (listed whatever its place) and marked. */
  private reveal(id: string): void {
    this.picked = id;
    this.render();
    this.el.querySelector(`[data-alert="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' });
  }

  /** Flies the map to an alert: where the worker stood, or their grid. */
  focus(id: string): void {
    const a = this.book.get(id);
    if (!a) return;
    if (a.position) {
      this.map.flyTo({ center: [a.position.lon, a.position.lat], zoom: Math.max(this.map.getZoom(), 16) });
      return;
    }
    const b = a.grid ? this.hooks.areaBBox(a.grid) : null;
    if (b) this.map.fitBounds(b, { padding: 60, maxZoom: 17 });
  }

  private async onClick(ev: Event): Promise<void> {
    const target = ev.target as HTMLElement;
    if (target.closest('[data-sos-sound]')) return this.alarm.unlock();
    if (target.closest('[data-sos-more]')) {
      this.listed += SOS_PANEL_MAX;
      return this.render();
    }
    const card = target.closest<HTMLElement>('[data-alert]');
    const id = card?.dataset.alert;
    if (!id) return;
    const b = target.closest<HTMLButtonElement>('[data-sos-ack],[data-sos-close]');
    if (!b) {
      if (!target.closest('input')) this.focus(id);
      return;
    }
    const step = b.dataset.sosAck !== undefined ? 'ack' : 'close';
    const note = this.drafts.get(id)?.trim() || undefined;
    this.pending.add(id);
    this.errors.delete(id);
    this.render();
    try {
      const r = await this.api.post<{ alert: SosAlert }>(`/api/alerts/${encodeURIComponent(id)}/${step}`, { note });
      this.drafts.delete(id);
      this.book.apply(r.alert);
    } catch (e) {
      this.errors.set(id, e);
      // Taken or ended by someone else meanwhile (409): read where it stands.
      void this.load();
    }
    this.pending.delete(id);
    this.changed(true);
  }
}
