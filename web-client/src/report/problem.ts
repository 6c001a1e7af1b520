// What went wrong, in plain words: the public API's errors by status, the
// wait of a 429, and the server's own sentence beneath when it has one (it
// says which field or which photo).

import { PublicError } from './publicApi';
import { rt } from './strings';

export interface Problem {
  /** The page's own sentence. */
  text: string;
  /** The server's, when it gave one. */
  detail: string | null;
}

export function problemOf(e: unknown): Problem {
  if (!(e instanceof PublicError)) return { text: rt('err.server'), detail: e instanceof Error ? e.message : null };
  const detail = e.status > 0 && e.message ? e.message : null;
  const text =
    e.status === 0
      ? rt('err.network')
      : e.status === 429
        ? e.retryAfterS !== null
          ? rt('err.wait', { s: e.retryAfterS })
          : rt('err.wait_unknown')
        : e.status === 413
          ? rt('err.too_large')
          : e.status === 415
            ? rt('err.not_image')
            : e.status === 409
              ? rt('err.conflict')
              : e.status === 404
                ? rt('err.not_found')
                : e.status === 403 || e.status === 401
                  ? rt('err.forbidden')
                  : e.status >= 500
                    ? rt('err.server')
                    : rt('err.bad');
  return { text, detail };
}

/** The problem as HTML-ready pieces: a sentence and, smaller, the server's. */
export function problemHtml(p: Problem, esc: (s: unknown) => string): string {
  const said = p.detail ? `<small class="said">${esc(rt('err.said', { msg: p.detail }))}</small>` : '';
  return `<span>${esc(p.text)}</span>${said}`;
}
