// 新增/编辑接入源: the form (checked before sending, every problem said at
// once), then, when the server made the secret, the secret shown this one
// time with a copy button, how the external system signs its requests, and
// the warning that it cannot be seen again.

import { errorWithDetail } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { IntakeSource } from '../shared/types';
import type { AdminContext } from './accountForms';
import { fill } from './dialog';
import { formatCategoryMap, INTAKE_KINDS, intakeAddress, sourceFromForm } from './intake';
import './intakeLabels';

/** Opens the form for a new source (`source` null) or to update one; `saved` gets the server's answer. */
export function openSourceForm(ctx: AdminContext, source: IntakeSource | null, minors: ReadonlyMap<string, string> | null, saved: (s: IntakeSource) => void): void {
  const creating = source === null;
  const kind = source?.kind ?? 'hotline';
  const defaults = minors
    ? `<select name="default_category"><option value="">${esc(t('intake.form.default_none'))}</option>${[...minors]
        .map(([code, name]) => `<option value="${esc(code)}" ${code === source?.default_category ? 'selected' : ''}>${esc(code)} ${esc(name)}</option>`)
        .join('')}</select>`
    : `<input name="default_category" value="${esc(source?.default_category ?? '')}" maxlength="16" />`;
  const form = ctx.dialog.open(`<form class="account intake" data-testid="intake-form" novalidate>
    <h2>${esc(creating ? t('intake.form.create') : fill('intake.form.edit', { name: source.name }))}</h2>
    <div class="fields">
      <label>${esc(t('intake.form.name'))}<input name="name" value="${esc(source?.name ?? '')}" ${creating ? '' : 'readonly'} autocomplete="off" spellcheck="false" maxlength="64" required />
        <small class="hint">${esc(t('intake.form.name_hint'))}</small></label>
      <label>${esc(t('intake.form.title'))}<input name="title" value="${esc(source?.title ?? '')}" maxlength="100" required /></label>
      <label>${esc(t('intake.form.kind'))}<select name="kind">${INTAKE_KINDS.map((k) => `<option value="${k}" ${k === kind ? 'selected' : ''}>${esc(t(`intake.kind.${k}`))}</option>`).join('')}</select></label>
      <label>${esc(t('intake.form.categories'))}<textarea name="categories" rows="5" spellcheck="false" data-testid="intake-categories">${esc(formatCategoryMap(source?.categories ?? {}))}</textarea>
        <small class="hint">${esc(t('intake.form.categories_hint'))}</small></label>
      <label>${esc(t('intake.form.default'))}${defaults}</label>
      <label>${esc(t('intake.form.callback'))}<input name="callback_url" type="url" value="${esc(source?.callback_url ?? '')}" placeholder="http://" spellcheck="false" />
        <small class="hint">${esc(t('intake.form.callback_hint'))}</small></label>
      <label>${esc(t('intake.form.secret'))}<input name="secret" autocomplete="off" spellcheck="false" maxlength="256" />
        <small class="hint">${esc(t('intake.form.secret_hint'))}</small></label>
    </div>
    <div class="error" role="alert" data-testid="intake-error"></div>
    <div class="buttons"><button type="button" data-cancel>${esc(t('form.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('form.save'))}</button></div></form>`);
  const value = (name: string) => form.querySelector<HTMLInputElement>(`[name=${name}]`)!.value;
  const err = form.querySelector<HTMLElement>('.error')!;
  form.addEventListener('input', () => (err.textContent = ''));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = sourceFromForm(
      {
        name: value('name'),
        title: value('title'),
        kind: value('kind'),
        categories: value('categories'),
        default_category: value('default_category'),
        callback_url: value('callback_url'),
        secret: value('secret'),
      },
      minors,
    );
    if ('problems' in r) {
      err.removeAttribute('title');
      err.innerHTML = `<ul>${r.problems.map((p) => `<li>${esc(fill(p.key, p.values))}</li>`).join('')}</ul>`;
      return;
    }
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    button.disabled = true;
    try {
      const answer = await ctx.api.post<IntakeSource>('/api/intake/sources', r.source);
      const stored = { ...r.source, ...answer };
      // A secret the administrator typed is theirs already; one the server made is shown now or never.
      if (answer?.secret && !r.source.secret) showSecret(ctx, stored.name, answer.secret);
      else ctx.dialog.close();
      delete stored.secret;
      saved(stored);
    } catch (e) {
      err.textContent = errorWithDetail(e, 'intake');
    } finally {
      button.disabled = false;
    }
  });
}

/** The generated secret, once: copy it, how to sign with it, and that it will not be shown again. */
export function showSecret(ctx: AdminContext, name: string, secret: string): void {
  const form = ctx.dialog.open(`<form method="dialog" class="secret" data-testid="intake-secret-dialog">
    <h2>${esc(fill('intake.secret_title', { name }))}</h2>
    <p class="notice" data-testid="intake-secret-warning">⚠ ${esc(t('intake.secret_warning'))}</p>
    <div class="with-button"><input readonly value="${esc(secret)}" data-testid="intake-secret" aria-label="${esc(fill('intake.secret_title', { name }))}" />
      <button type="button" data-copy data-testid="copy-secret">${esc(t('intake.copy'))}</button></div>
    <small class="hint copy-state" role="status"></small>
    <p class="hint secret-how">${nowrapTerms(esc(fill('intake.secret_how', { url: intakeAddress(window.location.origin, name) })))}</p>
    <div class="buttons"><button type="submit" class="primary">${esc(t('intake.secret_done'))}</button></div></form>`);
  const input = form.querySelector<HTMLInputElement>('[data-testid="intake-secret"]')!;
  const state = form.querySelector<HTMLElement>('.copy-state')!;
  input.focus();
  input.select();
  form.querySelector('[data-copy]')!.addEventListener('click', async () => {
    input.select();
    let ok = false;
    try {
      await navigator.clipboard.writeText(secret);
      ok = true;
    } catch {
      // Over plain http the clipboard API is absent: the older command still copies the selection.
      ok = document.execCommand?.('copy') ?? false;
    }
    state.textContent = t(ok ? 'intake.copied' : 'intake.copy_failed');
    state.dataset.copied = String(ok);
  });
}

/** The header names of an escaped text kept on one line (a break at X-|Riskmap reads as two words), the address as code. */
export function nowrapTerms(html: string): string {
  return html
    .replace(/X-Riskmap-[A-Za-z]+/g, (m) => `<code class="nowrap">${m}</code>`)
    .replace(/https?:\/\/[^\s<]+/g, (m) => `<code class="url">${m}</code>`);
}
