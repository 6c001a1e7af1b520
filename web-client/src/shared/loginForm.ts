// The login form both pages show until a token is good.

import type { Api } from './api';
import { showError } from './errors';
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
