// The first password an administrator gives a login (on creation, or on a
// reset): shown in clear so that it can be handed over, with a 生成 button
// that fills in a random one keeping every rule, and the rules ticked off.

import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import { brokenRules, generatePassword, type PasswordRule, ruleLabel, rulesFor } from '../shared/passwordRules';

export function passwordFieldHtml(): string {
  const rules = rulesFor({ current: false, repeat: false });
  return `<div class="password-field">
    <label>${esc(t('form.password'))}
      <span class="with-button"><input name="password" type="text" autocomplete="new-password" spellcheck="false" required />
      <button type="button" data-generate>${esc(t('form.generate'))}</button></span></label>
    <ul class="rules" data-testid="password-rules">${rules.map((r) => `<li data-rule="${r}">${esc(ruleLabel(r))}</li>`).join('')}</ul>
    <small class="hint">${esc(t('form.password_hint'))}</small></div>`;
}

/**
 * Wires the field inside `form`; `username` says whose password it is (the
 * create form's username box changes while typing). Answers the rules the
 * current entry breaks.
 */
export function bindPasswordField(form: HTMLFormElement, username: () => string): () => PasswordRule[] {
  const input = form.querySelector<HTMLInputElement>('input[name=password]')!;
  const broken = () => brokenRules(input.value, { username: username() });
  const tick = () => {
    const bad = new Set(broken());
    for (const li of form.querySelectorAll<HTMLElement>('.password-field [data-rule]')) {
      li.className = input.value === '' ? '' : bad.has(li.dataset.rule as PasswordRule) ? 'bad' : 'ok';
    }
  };
  form.addEventListener('input', tick);
  form.querySelector('[data-generate]')!.addEventListener('click', () => {
    input.value = generatePassword(username());
    // As if typed: the rules are ticked and an earlier refusal cleared.
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  return broken;
}
