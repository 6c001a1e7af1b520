// The public (no login) API of the citizen page: /api/public/… in
// docs/protocol.md. Its errors are `{"error": code, "message": "<a
// sentence>"}` (a bare `{"error": "<sentence>"}` is read too); problem.ts
// turns them into the page's own words.

import type { Attachment } from '../shared/types';

/** A refused or failed request: the status, the server's sentence and, for 429, the wait. */
export class PublicError extends Error {
  constructor(
    /** 0: no answer at all (offline, the server down). */
    readonly status: number,
    message: string,
    readonly retryAfterS: number | null = null,
  ) {
    super(message);
    this.name = 'PublicError';
  }
}

export interface PublicCategory {
  code: string;
  name: string;
  name_en?: string;
}

export interface Challenge {
  challenge: string;
  difficulty: number;
  expires_ms: number;
}

/** An uploaded image: the same answer as a staff upload's. */
export type { Attachment };

export type Step = 'received' | 'accepted' | 'dispatched' | 'handling' | 'handled' | 'closed' | 'rejected' | 'merged' | 'rated';
export type Status = 'received' | 'accepted' | 'handling' | 'closed' | 'rejected';

export interface Rating {
  score: number;
  comment: string;
  at_ms: number;
}

/** GET /api/public/reports/{code}. */
export interface ReportView {
  code: string;
  category: string;
  category_name: string;
  category_name_en?: string | null;
  description: string;
  created_ms: number;
  lon: number;
  lat: number;
  photos: string[];
  status: Status;
  timeline: { at_ms: number; step: Step }[];
  reply: string | null;
  rating: Rating | null;
  can_rate: boolean;
  points: number;
}

export interface NewReport {
  category: string;
  lon: number;
  lat: number;
  description: string;
  photos: string[];
  phone: string | null;
  challenge: string;
  nonce: string;
}

/** Reads the server's error body: `{"error": "…"}`, or the status alone. */
export function errorOf(status: number, text: string, retryAfter: string | null): PublicError {
  const wait = retryAfter !== null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  let msg = '';
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    msg = String(j.message ?? j.error ?? '');
  } catch {
    msg = text.length < 200 ? text : '';
  }
  return new PublicError(status, msg, wait);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new PublicError(0, String(e));
  }
  const text = await res.text();
  if (!res.ok) throw errorOf(res.status, text, res.headers.get('retry-after'));
  return (text ? JSON.parse(text) : undefined) as T;
}

const reportPath = (code: string) => `/api/public/reports/${encodeURIComponent(code)}`;

export const publicApi = {
  categories: () => call<{ categories: PublicCategory[] }>('GET', '/api/public/categories').then((r) => r.categories),
  challenge: () => call<Challenge>('GET', '/api/public/challenge'),
  report: (r: NewReport) => call<{ code: string; status_url: string }>('POST', '/api/public/reports', r),
  view: (code: string) => call<ReportView>('GET', reportPath(code)),
  rate: (code: string, score: number, comment: string) => call<ReportView>('POST', `${reportPath(code)}/rating`, { score, comment }),
  thumbUrl: (code: string, id: string) => `${reportPath(code)}/photos/${encodeURIComponent(id)}/thumb`,
  photoUrl: (code: string, id: string) => `${reportPath(code)}/photos/${encodeURIComponent(id)}`,
};

/**
 * Uploads one photo with the report's proof. XMLHttpRequest, not fetch: it
 * tells how much of the body went, for the photo's progress bar.
 */
export function uploadPhoto(file: Blob, proof: { challenge: string; nonce: string }, progress: (fraction: number) => void): Promise<Attachment> {
  const q = `challenge=${encodeURIComponent(proof.challenge)}&nonce=${encodeURIComponent(proof.nonce)}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/public/attachments?${q}`);
    xhr.setRequestHeader('content-type', file.type || 'application/octet-stream');
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) progress(ev.loaded / ev.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText) as Attachment);
        } catch {
          reject(new PublicError(xhr.status, 'bad answer'));
        }
      } else reject(errorOf(xhr.status, xhr.responseText, xhr.getResponseHeader('retry-after')));
    };
    xhr.onerror = () => reject(new PublicError(0, 'network'));
    xhr.send(file);
  });
}
