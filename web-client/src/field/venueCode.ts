// 场所码 on the field page, without the page: the code in what was scanned or
// typed (the QR carries the link `…/field?venue=CODE`, the print under it the
// code itself), the page's own `?venue=` and the address without it, the
// checklist (检查项目) and the body of `POST /api/venues/scan`.

import type { PhoneReading } from './duty';
import type { CheckItem, ScanKind, ScanRequest } from '../shared/venueTypes';

/** Why a text is not sent as a code. */
export type CodeProblem = 'empty' | 'not_code';

/** A code is `PLACE.SIGNATURE`: 16 bytes of signature, base64url without padding. */
const SIGNATURE = /^[A-Za-z0-9_-]{22}$/;
/** The server's longest code. */
const MAX_CODE_CHARS = 200;
/** The server's longest note (characters). */
export const MAX_NOTE_CHARS = 500;

/** Percent-decoding that never throws (a broken escape stays as it is). */
function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The code in what was scanned or typed: the field page's link (the last
 * `venue=`, up to `&` or `#`), or the code itself. White space is dropped: a
 * code typed from the print may have been broken over two lines.
 */
export function extractVenueCode(text: string): string {
  let s = text.trim();
  const at = s.lastIndexOf('venue=');
  if (at >= 0) s = s.slice(at + 'venue='.length).split(/[&#]/)[0] ?? '';
  return decode(s).replace(/\s+/g, '');
}

/** The code, or why it cannot be one (checked here so that a stray QR code is said at once). */
export function parseVenueCode(text: string): { code: string } | { problem: CodeProblem } {
  const code = extractVenueCode(text);
  if (!code) return { problem: 'empty' };
  const dot = code.lastIndexOf('.');
  if (dot <= 0 || code.length > MAX_CODE_CHARS || !SIGNATURE.test(code.slice(dot + 1))) return { problem: 'not_code' };
  return { code };
}

/** The page's own `?venue=` (the printed QR opened the page), or null. */
export function venueParam(search: string): string | null {
  const m = /[?&]venue=([^&#]*)/.exec(search);
  if (!m) return null;
  const code = decode(m[1] ?? '').trim();
  return code || null;
}

/** The page's address without `venue=`, for history.replaceState: a reload must not open the sheet again. */
export function urlWithoutVenue(href: string): string {
  const u = new URL(href);
  u.searchParams.delete('venue');
  return `${u.pathname}${u.search}${u.hash}`;
}

// ---- the checklist ----------------------------------------------------------------

/** One item of the checklist: `item` is what the record keeps (Chinese, as the city's records are); the label goes by `key`. */
export interface CheckDef {
  key: string;
  item: string;
}

/** What a worker checks at a key place (fire safety and lodging, the usual 重点场所 round). */
export const DEFAULT_CHECKLIST: readonly CheckDef[] = [
  { key: 'fire_exit', item: '消防通道畅通' },
  { key: 'extinguisher', item: '灭火器有效' },
  { key: 'lodging', item: '无违规住人/群租' },
  { key: 'wiring', item: '电气线路安全' },
  { key: 'flammables', item: '无易燃物堆放' },
];

/** An item as the sheet holds it: 合格 or 不合格, and what is wrong. */
export interface CheckState extends CheckDef {
  ok: boolean;
  note: string;
}

/** A fresh checklist: every item 合格 until the worker says otherwise. */
export function freshChecklist(defs: readonly CheckDef[] = DEFAULT_CHECKLIST): CheckState[] {
  return defs.map((d) => ({ ...d, ok: true, note: '' }));
}

/** The checklist as sent: a note only on a 不合格 item that has one. */
export function checklistPayload(items: readonly CheckState[]): CheckItem[] {
  return items.map((c) => {
    const note = c.note.trim().slice(0, MAX_NOTE_CHARS);
    return !c.ok && note ? { item: c.item, ok: false, note } : { item: c.item, ok: c.ok };
  });
}

/** How many items are 不合格. */
export function problemCount(items: readonly CheckState[]): number {
  return items.filter((c) => !c.ok).length;
}

// ---- the request ------------------------------------------------------------------

/** What the sheet holds while it is filled in. */
export interface ScanDraft {
  /** The code as typed, scanned or opened (a link is fine). */
  codeText: string;
  kind: ScanKind;
  checklist: CheckState[];
  note: string;
}

export function freshDraft(codeText = ''): ScanDraft {
  return { codeText, kind: 'inspection', checklist: freshChecklist(), note: '' };
}

/** A position older than this is read again before a scan: the phone must be at the place now. */
export const SCAN_FIX_MAX_AGE_MS = 30_000;

/** The reading if it is recent enough to place the phone at the venue. */
export function freshFix(r: PhoneReading | null, now: number, maxAgeMs = SCAN_FIX_MAX_AGE_MS): PhoneReading | null {
  return r && now - r.t <= maxAgeMs && Number.isFinite(r.lon) && Number.isFinite(r.lat) ? r : null;
}

/** The body of `POST /api/venues/scan`: a check-in keeps no checklist; note and photos only when there are some. */
export function scanBody(d: ScanDraft, code: string, at: PhoneReading, photos: readonly string[]): ScanRequest {
  const position: ScanRequest['position'] = { lon: at.lon, lat: at.lat };
  if (at.accuracy !== null && Number.isFinite(at.accuracy) && at.accuracy >= 0) position.accuracy_m = Math.round(at.accuracy * 10) / 10;
  const note = d.note.trim().slice(0, MAX_NOTE_CHARS);
  return {
    code,
    position,
    kind: d.kind,
    checklist: d.kind === 'inspection' ? checklistPayload(d.checklist) : [],
    ...(note ? { note } : {}),
    ...(photos.length ? { photos: [...photos] } : {}),
  };
}
