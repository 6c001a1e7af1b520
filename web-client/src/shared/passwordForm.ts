// 修改密码 — the form a person changes their own password with: forced after
// a login whose password an administrator set (nothing else works until it is
// changed), or chosen from a page's header. The rules are listed beside the
// fields and ticked off while typing; nothing breaking one is sent.

import { type Api, ApiError } from './api';
import { showError } from './errors';
import { esc } from './format';
import { addTranslations, onLangChange, t } from './i18n';
import { brokenRules, type PasswordRule, ruleLabel, rulesFor } from './passwordRules';
import { changePassword, type Session, type SessionStore } from './session';

addTranslations({
  zh: {
    'pw.change': '修改密码',
    'pw.forced': '您的密码由管理员设置。请先设置一个只有您自己知道的新密码，再继续使用。',
    'pw.current': '当前密码',
    'pw.new': '新密码',
    'pw.repeat': '再次输入新密码',
    'pw.show': '显示密码',
    'pw.rules': '密码规则',
    'pw.submit': '确认修改',
    'pw.cancel': '取消',
    'pw.logout': '退出登录',
    'pw.need_current': '请输入当前密码',
    'pw.mismatch': '两次输入的新密码不一致',
    'pw.same': '新密码不能与当前密码相同',
    'pw.done': '密码已修改，正在重新进入…',
  },
  en: {
    'pw.change': 'Change password',
    'pw.forced': 'Your password was set by an administrator. Choose a new one that only you know before you continue.',
    'pw.current': 'Current password',
    'pw.new': 'New password',
    'pw.repeat': 'New password again',
    'pw.show': 'Show passwords',
    'pw.rules': 'Password rules',
    'pw.submit': 'Change password',
    'pw.cancel': 'Cancel',
    'pw.logout': 'Log out',
    'pw.need_current': 'Enter your current password',
    'pw.mismatch': 'The two entries of the new password differ',
    'pw.same': 'The new password must differ from the current one',
    'pw.done': 'Password changed; reopening…',
  },
});

/** What to say when the new password breaks `rule`, before sending it. */
export function ruleProblem(rule: PasswordRule): string {
  if (rule === 'match') return t('pw.mismatch');
  if (rule === 'differs') return t('pw.same');
  return `${t('err.weak_password')}${t('colon')}${ruleLabel(rule)}`;
}

export interface PasswordFormOptions {
  api: Api;
  username: string;
  /** Forced: says why, and the way out is logging out; else the way out is cancelling. */
  forced: boolean;
  onDone: (s: Session) => void;
  onCancel: () => void;
}

/** Draws the form into `host` and handles it until it succeeds or is left. */
export function passwordForm(host: HTMLElement, o: PasswordFormOptions): HTMLFormElement {
  const rules = rulesFor({ current: true, repeat: true });
  host.innerHTML = `<form class="password" data-testid="password-form" novalidate>
    <h1>${esc(t('pw.change'))}</h1>
    ${o.forced ? `<p class="why">${esc(t('pw.forced'))}</p>` : ''}
    <input name="username" autocomplete="username" value="${esc(o.username)}" hidden />
    <div class="cols">
      <div class="fields">
        <label>${esc(t('pw.current'))}<input name="current" type="password" autocomplete="current-password" required /></label>
        <label>${esc(t('pw.new'))}<input name="next" type="password" autocomplete="new-password" required /></label>
        <label>${esc(t('pw.repeat'))}<input name="repeat" type="password" autocomplete="new-password" required /></label>
        <label class="check"><input name="show" type="checkbox" /> ${esc(t('pw.show'))}</label>
      </div>
      <div class="rules"><h2>${esc(t('pw.rules'))}</h2>
        <ul data-testid="password-rules">${rules.map((r) => `<li data-rule="${r}">${esc(ruleLabel(r))}</li>`).join('')}</ul></div>
    </div>
    <p class="error" role="alert" data-testid="password-error"></p>
    <div class="buttons">
      <button type="button" data-cancel>${esc(t(o.forced ? 'pw.logout' : 'pw.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('pw.submit'))}</button>
    </div></form>`;
  const form = host.querySelector('form')!;
  const field = (name: string) => form.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
  const err = form.querySelector('.error')!;
  const entered = () => ({ current: field('current').value, next: field('next').value, repeat: field('repeat').value });
  const tick = () => {
    const v = entered();
    const broken = new Set(brokenRules(v.next, { username: o.username, current: v.current, repeat: v.repeat }));
    for (const li of form.querySelectorAll<HTMLElement>('[data-rule]')) {
      const rule = li.dataset.rule as PasswordRule;
      // A rule is judged once there is something to judge: no red before typing.
      const judged = v.next !== '' && (rule !== 'match' || v.repeat !== '');
      li.className = !judged ? '' : broken.has(rule) ? 'bad' : 'ok';
    }
  };
  form.addEventListener('input', () => {
    tick();
    // What was refused is out of date once anything is changed.
    err.textContent = '';
  });
  field('show').addEventListener('change', () => {
    for (const n of ['current', 'next', 'repeat']) field(n).type = field('show').checked ? 'text' : 'password';
  });
  form.querySelector('[data-cancel]')!.addEventListener('click', () => o.onCancel());
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const v = entered();
    err.removeAttribute('title');
    if (!v.current) {
      err.textContent = t('pw.need_current');
      field('current').focus();
      return;
    }
    const broken = brokenRules(v.next, { username: o.username, current: v.current, repeat: v.repeat });
    if (broken.length) {
      err.textContent = ruleProblem(broken[0]!);
      err.setAttribute('data-rule', broken[0]!);
      field(broken[0] === 'match' ? 'repeat' : 'next').focus();
      return;
    }
    err.textContent = '';
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    button.disabled = true;
    try {
      o.onDone(await changePassword(o.api, v.current, v.next));
    } catch (e) {
      showError(err, e, 'password');
      err.removeAttribute('data-rule');
      field(e instanceof ApiError && e.code === 'wrong_password' ? 'current' : 'next').select();
    } finally {
      button.disabled = false;
    }
  });
  field('current').focus();
  return form;
}

/**
 * The header's 修改密码 button: opens the form over the page. The old token
 * dies with the change, and the page's live connection with it, so on
 * success the new session is kept and the page starts again with it.
 */
export function bindPasswordButton(button: HTMLElement, api: Api, store: SessionStore, username: string): void {
  const label = () => (button.textContent = t('pw.change'));
  label();
  onLangChange(label);
  button.addEventListener('click', () => {
    const overlay = document.createElement('div');
    overlay.className = 'modal';
    document.body.append(overlay);
    const close = () => overlay.remove();
    overlay.addEventListener('keydown', (ev) => ev.key === 'Escape' && close());
    passwordForm(overlay, {
      api,
      username,
      forced: false,
      onCancel: close,
      onDone: (s) => {
        store.save(s);
        overlay.querySelector('.error')!.textContent = '';
        overlay.querySelector('.buttons')!.outerHTML = `<p class="done" data-testid="password-done">${esc(t('pw.done'))}</p>`;
        setTimeout(() => window.location.reload(), 800);
      },
    });
  });
}
