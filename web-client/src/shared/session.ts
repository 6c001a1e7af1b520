// Login and the token kept across reloads. Each page keeps its own token, so a
// dispatcher's big screen and a field phone in the same browser do not collide.

import { Api, ApiError, PASSWORD_CHANGE_REQUIRED } from './api';
import type { User } from './types';

export interface Session {
  token: string;
  user: User;
}

interface LoginAnswer {
  token: string;
  expires_ms: number;
  user: User;
}

export class SessionStore {
  constructor(private readonly key: string) {}

  load(): Session | null {
    try {
      const raw = localStorage.getItem(this.key);
      return raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      return null;
    }
  }

  save(s: Session): void {
    localStorage.setItem(this.key, JSON.stringify(s));
  }

  clear(): void {
    localStorage.removeItem(this.key);
  }
}

export async function login(api: Api, username: string, password: string): Promise<Session> {
  const a = await api.post<LoginAnswer>('/api/auth/login', { username, password });
  api.setToken(a.token);
  return { token: a.token, user: a.user };
}

/** Checks a remembered token; null if it has expired or been revoked. */
export async function resume(api: Api, s: Session): Promise<Session | null> {
  api.setToken(s.token);
  try {
    const me = await api.get<User | { user: User }>('/api/me');
    const user = 'user' in me ? me.user : me;
    return { token: s.token, user };
  } catch (e) {
    // A good token whose login must first choose a new password.
    if (e instanceof ApiError && e.code === PASSWORD_CHANGE_REQUIRED) {
      return { token: s.token, user: { ...s.user, must_change_password: true } };
    }
    api.setToken(null);
    return null;
  }
}

/**
 * `POST /api/auth/password`: the server ends every session of the login,
 * this one included, and answers a new token, which the api now carries.
 */
export async function changePassword(api: Api, current: string, next: string): Promise<Session> {
  const a = await api.post<LoginAnswer>('/api/auth/password', { current_password: current, new_password: next });
  api.setToken(a.token);
  return { token: a.token, user: a.user };
}

/**
 * Asks the server whether the token still works; a 401 goes to the api's
 * `onUnauthorized`. For a dropped /ws connection: the socket cannot say that
 * the session ended (a disabled login, a logout elsewhere) because a browser
 * never sees the refused upgrade's status; a REST call does.
 */
export function confirmSession(api: Api): void {
  api.get('/api/me').catch(() => undefined);
}

const ENDED_KEY = 'riskmap.session_ended';

/**
 * Forgets the page's token and reloads into the login form, which then says
 * that the session ended (so nobody wonders why the screen went back to it).
 */
export function endSession(store: SessionStore): void {
  store.clear();
  try {
    sessionStorage.setItem(ENDED_KEY, '1');
  } catch {
    // no storage: the login form just does not say why
  }
  window.location.reload();
}

/** Whether the page was reloaded by `endSession`; asked once. */
export function takeSessionEnded(): boolean {
  try {
    const ended = sessionStorage.getItem(ENDED_KEY) !== null;
    sessionStorage.removeItem(ENDED_KEY);
    return ended;
  } catch {
    return false;
  }
}

export async function logout(api: Api): Promise<void> {
  try {
    await api.post('/api/auth/logout', {});
  } finally {
    api.setToken(null);
  }
}
