// 上报事件: the field page's form for a new incident where the phone stands —
// category, priority, a description and 现场照片 (picked and uploaded like the
// task cards' photos, see photoPicks.ts), sent as a patrol report.

import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { CategoryNode } from '../shared/types';

export type Priority = 'normal' | 'urgent' | 'emergency';
const PRIORITIES: readonly Priority[] = ['normal', 'urgent', 'emergency'];

/** What has been filled in: kept across a redraw (the language switched, the categories arrived). */
export interface ReportValues {
  category: string;
  priority: string;
  description: string;
}

/** The form's fields as they stand. */
export function readReport(form: HTMLFormElement): ReportValues {
  const data = new FormData(form);
  return {
    category: String(data.get('category') ?? ''),
    priority: String(data.get('priority') ?? 'normal'),
    description: String(data.get('description') ?? ''),
  };
}

/** The form: the picker's HTML (PhotoPicks.html) goes between the description and the button. */
export function reportFormHtml(categories: readonly CategoryNode[], en: boolean, values: ReportValues | null, picks: string): string {
  const name = (c: CategoryNode) => (en && c.name_en ? c.name_en : c.name);
  const sel = (on: boolean) => (on ? ' selected' : '');
  const options = categories
    .map(
      (major) =>
        `<optgroup label="${esc(name(major))}">${(major.children ?? [])
          .map((c) => `<option value="${esc(c.code)}"${sel(c.code === values?.category)}>${esc(name(c))}</option>`)
          .join('')}</optgroup>`,
    )
    .join('');
  const priority = values?.priority ?? 'normal';
  return `<h2>${esc(t('field.report'))}</h2><form>
      <select name="category" required aria-label="${esc(t('incident.category'))}">${options}</select>
      <select name="priority" aria-label="${esc(t('incident.priority'))}">${PRIORITIES.map((p) => `<option value="${p}"${sel(p === priority)}>${esc(t(`priority.${p}`))}</option>`).join('')}</select>
      <textarea name="description" placeholder="${esc(t('field.description'))}" required>${esc(values?.description ?? '')}</textarea>
      ${picks}
      <button type="submit">${esc(t('field.report_here'))}</button>
      <p class="result"></p></form>`;
}

/** The body of POST /api/incidents: a patrol report at the phone's position, with the photos' ids when there are any. */
export function reportBody(v: ReportValues, at: { lon: number; lat: number }, photos: readonly string[]): Record<string, unknown> {
  return {
    category: v.category,
    priority: PRIORITIES.includes(v.priority as Priority) ? v.priority : 'normal',
    source: 'patrol',
    description: v.description,
    lon: at.lon,
    lat: at.lat,
    ...(photos.length ? { photos: [...photos] } : {}),
  };
}
