// A staff member's popup on the big screen: name and id, role, duty and
// offline, how old the position is, and what to look at next — 轨迹回放
// (their track over a chosen period) and 当日巡查 (their day card).

import { type LngLat, type MapGeoJSONFeature, type Map as MapLibreMap, Popup } from 'maplibre-gl';
import { esc, formatFixAge } from '../shared/format';
import { type Lang, lang, t } from '../shared/i18n';
import type { StaffLive } from '../shared/types';
import './patrolLabels';
import type { StaffStore } from './staffStore';

export interface StaffPopupFacts {
  /** Age of the last fix, seconds (on the server's clock). */
  ageS: number;
  offline: boolean;
}

export interface StaffPopupActions {
  replay(id: string): void;
  patrolDay(id: string): void;
}

/** The popup's HTML; the buttons are `[data-replay-staff]` and `[data-patrol-staff]`. */
export function staffPopupHtml(s: StaffLive, facts: StaffPopupFacts, l: Lang = lang()): string {
  const state = [s.role ? t(`role.${s.role}`, l) : '', t(`duty.${s.duty}`, l), ...(facts.offline ? [t('staff.offline', l)] : [])];
  return `<b>${esc(s.name ?? s.id)}</b> <small>${esc(s.id)}</small><br/>${esc(state.filter(Boolean).join(' · '))}<br/>
    <small class="fix-age">${esc(formatFixAge(facts.ageS, l))}</small>
    <div class="staff-popup-actions"><button data-replay-staff="${esc(s.id)}">${esc(t('replay.title', l))}</button>
    <button data-patrol-staff="${esc(s.id)}" data-testid="patrol-day-open">${esc(t('patrol.card', l))}</button></div>`;
}

/** A staff marker clicked: its member's popup, with how old their fix is by the server's clock `now`. */
export function openStaffPopup(map: MapLibreMap, f: MapGeoJSONFeature, at: LngLat, store: StaffStore, now: number, actions: StaffPopupActions): void {
  const s = store.byId.get(String(f.properties.id));
  if (s) showStaffPopup(map, at, s, { ageS: (now - s.t) / 1000, offline: store.isOffline(s.id) }, actions);
}

/** Opens the popup at `at`; a button closes it and opens what it names. */
export function showStaffPopup(map: MapLibreMap, at: LngLat, s: StaffLive, facts: StaffPopupFacts, actions: StaffPopupActions): Popup {
  const popup = new Popup({ className: 'dark-popup' }).setLngLat(at).setHTML(staffPopupHtml(s, facts)).addTo(map);
  popup.getElement().addEventListener('click', (ev) => {
    const target = ev.target as HTMLElement;
    const replay = target.closest<HTMLElement>('[data-replay-staff]');
    const patrol = target.closest<HTMLElement>('[data-patrol-staff]');
    if (!replay && !patrol) return;
    popup.remove();
    if (replay) actions.replay(s.id);
    else actions.patrolDay(s.id);
  });
  return popup;
}
