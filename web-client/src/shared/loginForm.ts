// The login form every page shows until a token is good, followed by the
// forced password change when an administrator set the password.

import type { Api } from './api';
import { showError } from './errors';
import { esc } from './format';
import { addTranslations, t } from './i18n';
import { passwordForm } from './passwordForm';
import { login, logout, resume, type Session, SessionStore, takeSessionEnded } from './session';

addTranslations({
  zh: { 'login.ended': '登录已失效（已退出、账号被停用或密码已修改），请重新登录' },
  en: { 'login.ended': 'Your session has ended (logged out, login disabled or password changed): log in again' },
});

/**
 * Resolves once the user is logged in (or a remembered token still works)
 * and may use the page: a login that must change its password does that first.
 */
export async function ensureSession(api: Api, store: SessionStore, host: HTMLElement, title: string, defaultUser: string): Promise<Session> {
  const ended = takeSessionEnded();
  const saved = store.load();
  let s = saved ? await resume(api, saved) : null;
  if (saved && !s) store.clear();
  s ??= await loginForm(api, store, host, title, defaultUser, ended);
  if (s.user.must_change_password) s = await forcedChange(api, store, host, s);
  return s;
}

function loginForm(api: Api, store: SessionStore, host: HTMLElement, title: string, defaultUser: string, ended: boolean): Promise<Session> {
  return new Promise((resolve) => {
    host.innerHTML = `<form class="login" autocomplete="on">
      <h1>${esc(title)}</h1>
      ${ended ? `<p class="notice" data-testid="session-ended">${esc(t('login.ended'))}</p>` : ''}
      <label>${esc(t('username'))}<input name="username" value="${esc(defaultUser)}" autocomplete="username" required /></label>
      <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit">${esc(t('login'))}</button>
      <p class="error" role="alert" data-testid="login-error"></p></form>`;
    const form = host.querySelector('form')!;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const err = form.querySelector('.error')!;
      err.textContent = '';
      const button = form.querySelector('button')!;
      button.disabled = true;
      try {
        const s = await login(api, String(data.get('username')), String(data.get('password')));
        store.save(s);
        host.innerHTML = '';
        resolve(s);
      } catch (e) {
        // The form stays as typed; the password field is selected for another try.
        showError(err, e, 'login');
        form.querySelector<HTMLInputElement>('input[name=password]')?.select();
      } finally {
        button.disabled = false;
      }
    });
  });
}

/** The change-password form in place of the page; its way out is logging out. */
function forcedChange(api: Api, store: SessionStore, host: HTMLElement, s: Session): Promise<Session> {
  return new Promise((resolve) => {
    passwordForm(host, {
      api,
      username: s.user.username,
      forced: true,
      onDone: (next) => {
        store.save(next);
        host.innerHTML = '';
        resolve(next);
      },
      onCancel: async () => {
        await logout(api).catch(() => undefined);
        store.clear();
        window.location.reload();
      },
    });
  });
}
