// Login and the token kept across reloads. Each page keeps its own token, so a
// dispatcher's big screen and a field phone in the same browser do not collide.

import { Api } from './api';
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
  } catch {
    api.setToken(null);
    return null;
  }
}

export async function logout(api: Api): Promise<void> {
  try {
    await api.post('/api/auth/logout', {});
  } finally {
    api.setToken(null);
  }
}
