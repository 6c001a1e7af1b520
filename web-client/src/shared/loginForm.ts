// The login form both pages show until a token is good.

import { Api, ApiError } from './api';
import { esc } from './format';
import { t } from './i18n';
import { login, resume, type Session, SessionStore } from './session';

/** Resolves once the user is logged in (or a remembered token still works). */
export async function ensureSession(api: Api, store: SessionStore, host: HTMLElement, title: string, defaultUser: string): Promise<Session> {
  const saved = store.load();
  if (saved) {
    const s = await resume(api, saved);
    if (s) return s;
    store.clear();
  }
  return new Promise((resolve) => {
    host.innerHTML = `<form class="login" autocomplete="on">
      <h1>${esc(title)}</h1>
      <label>${esc(t('username'))}<input name="username" value="${esc(defaultUser)}" autocomplete="username" required /></label>
      <label>${esc(t('password'))}<input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit">${esc(t('login'))}</button>
      <p class="error" role="alert"></p></form>`;
    const form = host.querySelector('form')!;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const data = new FormData(form);
      const err = form.querySelector('.error')!;
      err.textContent = '';
      try {
        const s = await login(api, String(data.get('username')), String(data.get('password')));
        store.save(s);
        host.innerHTML = '';
        resolve(s);
      } catch (e) {
        err.textContent = `${t('login_failed')}: ${e instanceof ApiError ? e.message : String(e)}`;
      }
    });
  });
}
