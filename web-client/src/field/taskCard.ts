// A task card on the field page: what, where (grid and coordinates), how
// far from me, a small locator map, hand-off to a navigation app, the
// report's photos, and the actions left to take (开始处置 and 办结 with the
// photos before and after, photoPicks.ts).

import { esc, formatDateTime, formatDistance } from '../shared/format';
import { haversine, type Position } from '../shared/geo';
import { addTranslations, t } from '../shared/i18n';
import { categoryName } from '../shared/names';
import { photoSlot } from '../shared/photos';
import type { Incident } from '../shared/types';
import { navLinks } from './navLinks';
import type { TaskPhase } from './photoPicks';
import { fieldActions } from './tasks';

addTranslations({
  zh: {
    'task.where': '位置',
    'task.from_me': '距我',
    'task.navigate': '导航',
    'task.nav.geo': '地图',
    'task.nav.amap': '高德',
    'task.nav.baidu': '百度',
    'task.nav.qq': '腾讯',
    'task.done': '已办',
    'task.no_done': '暂无已办任务',
    'task.map': '位置示意图',
  },
  en: {
    'task.where': 'Where',
    'task.from_me': 'From me',
    'task.navigate': 'Navigate',
    'task.nav.geo': 'Maps',
    'task.nav.amap': 'Gaode',
    'task.nav.baidu': 'Baidu',
    'task.nav.qq': 'Tencent',
    'task.done': 'Done',
    'task.no_done': 'No finished tasks yet',
    'task.map': 'Locator map',
  },
});

/** `lat, lon` as the page shows every position. */
export const latLon = (lon: number, lat: number) => `${lat.toFixed(5)}, ${lon.toFixed(5)}`;

/** Where the task is, in words: its grid and area, then its coordinates. */
export function placeText(i: Incident): string {
  const names = [i.grid_name, i.area_name && i.area_name !== i.grid_name ? i.area_name : null].filter(Boolean).join(' · ');
  return names ? `${names} (${latLon(i.lon, i.lat)})` : latLon(i.lon, i.lat);
}

/**
 * A small locator map: the task (red) in the middle of its grid's outline
 * (when known), me (blue) on the same scale, north up, with a scale bar.
 */
export function miniMap(task: Position, me: Position | null, outline: Position[] | null): string {
  const S = 120;
  const pts = [task, ...(me ? [me] : []), ...(outline ?? [])];
  const kx = Math.cos((task[1] * Math.PI) / 180);
  const span = Math.max(0.001, ...pts.map((p) => Math.max(Math.abs(p[0] - task[0]) * kx, Math.abs(p[1] - task[1]))));
  const xy = (p: Position) => [S / 2 + (((p[0] - task[0]) * kx) / span) * (S / 2 - 10), S / 2 - ((p[1] - task[1]) / span) * (S / 2 - 10)];
  const ring = outline?.length ? `<polygon points="${outline.map((p) => xy(p).map((v) => v.toFixed(1)).join(',')).join(' ')}" class="grid" />` : '';
  const meDot = me ? (([x, y]) => `<circle cx="${x!.toFixed(1)}" cy="${y!.toFixed(1)}" r="4" class="me" />`)(xy(me)) : '';
  // centre to edge of the drawn area
  const metres = span * 111_320;
  return `<svg class="minimap" viewBox="0 0 ${S} ${S}" role="img" aria-label="${esc(t('task.map'))}" data-testid="task-map">
    ${ring}${meDot}<circle cx="${S / 2}" cy="${S / 2}" r="5" class="task-pin" />
    <text x="${S - 8}" y="14" class="north">N</text><text x="4" y="${S - 4}" class="scale">±${esc(formatDistance(metres))}</text></svg>`;
}

export interface CardContext {
  me: Position | null;
  outline: Position[] | null;
  draft: string;
  highlight: boolean;
  /** The photo picker of 开始处置 (处置前) or 办结 (处置后). */
  picks?: (phase: TaskPhase) => string;
}

/** One active task. */
export function taskCard(i: Incident, c: CardContext): string {
  const acts = fieldActions(i.state);
  const at: Position = [i.lon, i.lat];
  const far = c.me ? `<dt>${esc(t('task.from_me'))}</dt><dd data-testid="task-distance">${esc(formatDistance(haversine(c.me, at)))}</dd>` : '';
  const nav = navLinks(at, `${categoryName(i)} ${i.grid_name ?? ''}`.trim())
    .map((l) => `<a class="nav nav-${l.app}" data-nav="${l.app}" href="${esc(l.href)}">${esc(t(`task.nav.${l.app}`))}</a>`)
    .join('');
  return `<article class="task prio-${i.priority} warn-${i.warning} ${c.highlight ? 'new' : ''}" data-task="${esc(i.id)}">
    <h3>${esc(categoryName(i))} <small>${esc(i.id)}</small></h3>
    <div class="where">${miniMap(at, c.me, c.outline)}
      <dl><dt>${esc(t('task.where'))}</dt><dd data-testid="task-place">${esc(placeText(i))}</dd>${far}</dl></div>
    <p>${esc(i.description)}</p>
    ${photoSlot(`task-${i.id}`, i.photos, t('photo.photos'))}
    <p class="meta"><span class="state" data-testid="task-state">${esc(t(`state.${i.state}`))}</span> · ${esc(t(`priority.${i.priority}`))}${i.deadline_ms ? ` · ${esc(t('incident.deadline'))} ${formatDateTime(i.deadline_ms)}` : ''}</p>
    <div class="navs" aria-label="${esc(t('task.navigate'))}"><span>${esc(t('task.navigate'))}</span>${nav}</div>
    ${c.picks ? acts.filter((a): a is TaskPhase => a === 'start' || a === 'handle').map((a) => c.picks!(a)).join('') : ''}
    ${acts.includes('handle') ? `<textarea placeholder="${esc(t('field.note'))}">${esc(c.draft)}</textarea>` : ''}
    <div class="actions">${acts.map((a) => `<button data-action="${a}">${esc(t(`action.${a}`))}</button>`).join('')}</div>
    <p class="error" data-task-error data-testid="task-error"></p></article>`;
}

/** One finished task in the 已办 list. */
export function doneRow(i: Incident): string {
  return `<li data-done="${esc(i.id)}"><span class="state">${esc(t(`state.${i.state}`))}</span> ${esc(categoryName(i))}
    <small>${esc(i.grid_name ?? i.grid)} · ${formatDateTime(i.updated_ms)}</small></li>`;
}
