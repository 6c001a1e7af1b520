// Which view report.html shows: `/report` (a new report) or `/report/{code}`
// (its status). The server serves the same page for both; `report.html` is
// what Vite's dev server and a plain static server answer.

/** Tracking codes: 10 characters of A–Z and 2–9 (no 0 or 1, which read as O and I). */
export const CODE_RE = /^[A-Z2-9]{10}$/;

export type Route =
  | { view: 'new' }
  /** `valid`: shaped like a tracking code (anything else cannot exist). */
  | { view: 'status'; code: string; valid: boolean };

export function parseRoute(pathname: string): Route {
  const m = /\/report(?:\.html)?(?:\/([^/]*))?\/?$/.exec(pathname);
  let raw = m?.[1] ?? '';
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // a broken escape: kept as typed, it matches no code
  }
  if (!raw) return { view: 'new' };
  // Typed by hand from a receipt: lower case is forgiven.
  const code = raw.trim().toUpperCase();
  return { view: 'status', code, valid: CODE_RE.test(code) };
}

export const statusPath = (code: string) => `/report/${encodeURIComponent(code)}`;
