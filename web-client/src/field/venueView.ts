// 场所检查 as HTML: the form (the code, 检查/打卡, the checklist with 合格/不合格
// and a note for a 不合格 item, a note, the photos, where the phone stands)
// and the card of a recorded scan. The sheet (venueSheet.ts) draws them.

import { esc, formatClock, formatDateTime, formatDistance } from '../shared/format';
import { t } from '../shared/i18n';
import type { Inspection, ScanKind } from '../shared/venueTypes';
import type { PhoneReading } from './duty';
import { DEFAULT_CHECKLIST, type ScanDraft } from './venueCode';
import './venueLabels';

const KINDS: readonly ScanKind[] = ['inspection', 'check_in'];

const fill = (key: string, vars: Record<string, string | number>) => Object.entries(vars).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), t(key));

/** Where the sheet's position stands. */
export type FixState = 'idle' | 'waiting' | 'ok' | 'failed';

/** The position line: ±8 米 · 12:03:04, or what is happening. */
export function positionText(state: FixState, fix: PhoneReading | null): string {
  if (state === 'ok' && fix) {
    const acc = fix.accuracy !== null && Number.isFinite(fix.accuracy) ? Math.round(fix.accuracy) : '?';
    return fill('venue.position_fix', { acc, at: formatClock(fix.t) });
  }
  if (state === 'failed') return t('venue.position_failed');
  return t('venue.position_waiting');
}

export interface FormView {
  /** The photo picker's HTML (PhotoPicks.html). */
  picks: string;
  sending: boolean;
  /** What went wrong, as HTML (an error paragraph), or ''. */
  error: string;
  fixState: FixState;
  fix: PhoneReading | null;
  /** The camera scanner's note under the code (read, not a venue code, no camera), or ''. */
  scanNote: string;
}

/** The checklist: one row per item, 合格/不合格 as two toggles, a note box under a 不合格 one. */
function checklistHtml(d: ScanDraft): string {
  const rows = d.checklist.map((c) => {
    const label = t(`venue.check.${c.key}`);
    return `<div class="check ${c.ok ? 'is-ok' : 'is-bad'}" data-check="${esc(c.key)}" data-ok="${c.ok}" data-testid="venue-check">
      <span class="item" title="${esc(c.item)}">${esc(label)}</span>
      <span class="toggle" role="group" aria-label="${esc(label)}">
        <button type="button" class="ok" data-set-check="${esc(c.key)}" data-value="ok" aria-pressed="${c.ok}">${esc(t('venue.ok'))}</button>
        <button type="button" class="bad" data-set-check="${esc(c.key)}" data-value="bad" aria-pressed="${!c.ok}">${esc(t('venue.bad'))}</button>
      </span>
      ${c.ok ? '' : `<input class="check-note" name="check-note" data-check-note="${esc(c.key)}" value="${esc(c.note)}" maxlength="500" placeholder="${esc(t('venue.bad_note'))}" aria-label="${esc(`${label} · ${t('venue.bad_note')}`)}" />`}
    </div>`;
  });
  return `<fieldset class="checklist" data-testid="venue-checklist"><legend>${esc(t('venue.checklist'))}</legend>${rows.join('')}</fieldset>`;
}

/** The form of the sheet; the checklist only for 检查 (打卡 keeps none). */
export function venueFormHtml(d: ScanDraft, v: FormView): string {
  const kinds = KINDS.map(
    (k) => `<label class="kind-${k}"><input type="radio" name="kind" value="${k}" ${d.kind === k ? 'checked' : ''} data-testid="venue-kind-${k}" /> ${esc(t(`venue.kind.${k}`))}</label>`,
  ).join('');
  return `<form class="venue-form" data-testid="venue-form" novalidate>
    <label class="field">${esc(t('venue.code'))}
      <input name="code" value="${esc(d.codeText)}" autocomplete="off" autocapitalize="off" spellcheck="false" placeholder="${esc(t('venue.code_placeholder'))}" data-testid="venue-code" /></label>
    <p class="hint${v.scanNote ? ' scan-note' : ''}" data-testid="venue-scan-note">${esc(v.scanNote || t('venue.code_hint'))}</p>
    <fieldset class="kinds"><legend>${esc(t('venue.kind'))}</legend>${kinds}</fieldset>
    ${d.kind === 'inspection' ? checklistHtml(d) : ''}
    <label class="field">${esc(t('venue.note'))}
      <textarea name="note" maxlength="500" placeholder="${esc(t('venue.note_placeholder'))}" data-testid="venue-note">${esc(d.note)}</textarea></label>
    ${v.picks}
    <p class="position">${esc(t('venue.position'))}${esc(t('colon'))}<span class="fix-${v.fixState}" data-testid="venue-position">${esc(positionText(v.fixState, v.fix))}</span></p>
    <button type="submit" class="primary submit" data-testid="venue-submit" ${v.sending ? 'disabled' : ''}>${esc(t(v.sending ? 'venue.submitting' : 'venue.submit'))}</button>
    ${v.error}</form>`;
}

/** A checklist item as recorded (Chinese), in the page's language when it is one of ours. */
function checkLabel(item: string): string {
  const def = DEFAULT_CHECKLIST.find((d) => d.item === item);
  return def ? t(`venue.check.${def.key}`) : item;
}

/** A recorded scan: the place, 检查/打卡, how far, the problems found, when. */
export function venueDoneHtml(i: Inspection): string {
  const kind = t(`venue.kind.${i.kind}`);
  const problems =
    i.kind === 'check_in'
      ? '—'
      : i.problems > 0
        ? `<b class="bad">${esc(fill('venue.problems_n', { n: i.problems }))}</b>`
        : `<span class="ok">${esc(t('venue.no_problems'))}</span>`;
  const failed = i.checklist.filter((c) => !c.ok).map((c) => `<li>${esc(checkLabel(c.item))}${c.note ? `${esc(t('colon'))}${esc(c.note)}` : ''}</li>`).join('');
  return `<section class="venue-done" data-testid="venue-success" data-kind="${esc(i.kind)}" data-inspection="${esc(i.id)}">
    <h3>✓ ${esc(fill('venue.done_title', { kind }))}</h3>
    <dl>
      <dt>${esc(t('venue.place'))}</dt><dd data-testid="venue-success-place">${esc(i.place_name)} <small>${esc(i.place_category)} · ${esc(i.place_id)}</small></dd>
      <dt>${esc(t('venue.kind'))}</dt><dd data-testid="venue-success-kind">${esc(kind)}</dd>
      <dt>${esc(t('venue.distance'))}</dt><dd data-testid="venue-success-distance" data-m="${i.distance_m}">${esc(i.distance_m > 0 ? formatDistance(i.distance_m) : t('venue.inside'))}</dd>
      <dt>${esc(t('venue.problems'))}</dt><dd data-testid="venue-success-problems" data-n="${i.problems}">${problems}${failed ? `<ul>${failed}</ul>` : ''}</dd>
      ${i.photos.length ? `<dt>${esc(t('venue.photos_n'))}</dt><dd>${i.photos.length}</dd>` : ''}
      <dt>${esc(t('venue.at'))}</dt><dd>${esc(formatDateTime(i.at_ms))}</dd>
    </dl>
    <div class="buttons"><button type="button" class="primary" data-venue-again data-testid="venue-again">${esc(t('venue.again'))}</button>
      <button type="button" data-venue-close>${esc(t('venue.close'))}</button></div></section>`;
}
