// The incident drawer's intake part (issue 16): where the incident came from
// (a citizen's tracking code and masked phone, an external ticket, a camera's
// alarm and how often it fired), the citizen's rating and the public answer
// (答复群众) given back; and the optional reply field that goes with close,
// reject and merge.

import { esc, formatDateTime } from '../shared/format';
import { t } from '../shared/i18n';
import type { Incident } from '../shared/types';
import './intakeLabels';
import { fillIn } from './orgLabels';

/** The actions that may carry the public answer. */
export const REPLY_ACTIONS: ReadonlySet<string> = new Set(['close', 'reject', 'merge']);

/** A score as five stars, ★ filled and ☆ empty (a score out of 1–5 is clamped). */
export function starsText(score: number): string {
  const n = Math.max(0, Math.min(5, Math.round(score)));
  return '★'.repeat(n) + '☆'.repeat(5 - n);
}

/** The channel's label; an unknown one reads as it came. */
export function sourceLabel(source: string): string {
  const key = `source.${source}`;
  const label = t(key);
  return label === key ? source : label;
}

/** The details rows and block of the intake; nothing for an internal report. */
export function intakeHtml(i: Incident): string {
  const source = `<dt>${esc(t('intake.source'))}</dt><dd data-testid="incident-source" data-source="${esc(i.source)}">${esc(sourceLabel(i.source))}</dd>`;
  const k = i.intake;
  if (!k) return `<dl class="intake">${source}</dl>`;
  const rows: string[] = [source];
  const row = (key: string, testid: string, html: string) => rows.push(`<dt>${esc(t(key))}</dt><dd data-testid="${testid}">${html}</dd>`);
  if (k.tracking_code) row('intake.tracking', 'intake-tracking', `<code>${esc(k.tracking_code)}</code>`);
  if (k.phone) row('intake.phone', 'intake-phone', esc(k.phone));
  if (k.external) row('intake.external', 'intake-external', `${esc(sourceName(k.external.source))} · <code>${esc(k.external.ticket)}</code>`);
  if (k.alarm) {
    const count = k.alarm.count > 1 ? ` · <b data-testid="intake-alarm-count">${esc(fillIn(t('intake.alarm_count'), { n: k.alarm.count }))}</b>` : '';
    row('intake.alarm', 'intake-alarm', `${esc(k.alarm.camera)} · ${esc(k.alarm.kind)}${count}`);
  }
  if (k.tracking_code || k.external) {
    const r = k.rating;
    row(
      'intake.rating',
      'intake-rating',
      r
        ? `<span class="stars score-${Math.round(r.score)}" data-score="${r.score}" title="${r.score}/5">${starsText(r.score)}</span> <small>${formatDateTime(r.at_ms)}</small>${r.comment ? `<p class="rating-comment">${esc(r.comment)}</p>` : ''}`
        : `<span class="muted">${esc(t('intake.no_rating'))}</span>`,
    );
  }
  if (k.reply) row('intake.reply', 'intake-reply', `<p class="public-reply">${esc(k.reply)}</p>`);
  return `<h3>${esc(t('intake.title'))}</h3><dl class="intake" data-testid="incident-intake">${rows.join('')}</dl>`;
}

/** An external system by name: hotline12345 reads as the hotline's label. */
function sourceName(name: string): string {
  return /^hotline/.test(name) ? `${t('source.hotline')} (${name})` : name;
}

/** 合并 into the possible duplicate the server found, when merging is allowed. */
export function mergeButtonHtml(i: Incident, allowed: ReadonlySet<string>): string {
  const into = i.possible_duplicate_of;
  if (!into || !allowed.has('merge')) return '';
  return `<button class="action" data-action="merge" data-into="${esc(into)}" data-testid="merge-into">${esc(fillIn(t('action.merge_into'), { id: into }))}</button>`;
}

/** The reply field, when the drawer offers an action that carries it. */
export function replyFieldHtml(allowed: ReadonlySet<string>, draft: string): string {
  if (![...REPLY_ACTIONS].some((a) => allowed.has(a))) return '';
  return `<label class="reply-field">${esc(t('intake.reply_field'))}
    <textarea class="reply" name="reply" rows="2" maxlength="2000" data-testid="public-reply" placeholder="${esc(t('intake.reply_hint'))}">${esc(draft)}</textarea></label>`;
}

/** Adds the reply typed to an action that carries it (nothing for the others, nor when empty). */
export function withReply(body: Record<string, unknown>, typed: string): Record<string, unknown> {
  const reply = typed.trim();
  return reply && REPLY_ACTIONS.has(String(body.action)) ? { ...body, reply } : body;
}
