// 场所码 on the admin page, without the page: the key places of the
// administrator's area (OGC API - Features, `key_places`), the search, the
// addresses of a place's code and QR code, the names the files are saved
// under, and the recent inspections as the tables read them.

import type { Api } from '../shared/api';
import type { Inspection } from '../shared/venueTypes';

/** A key place as the list shows it. */
export interface VenuePlace {
  id: string;
  name: string;
  category: string;
}

/** The server's largest OGC page. */
const PAGE = 10_000;
/** Rows the list draws at most: a city has thousands of key places; the search narrows them. */
export const MAX_ROWS = 100;

interface FeaturePage {
  features: GeoJSON.Feature[];
  numberMatched?: number;
}

/** The key places of the login's area (the server scopes the collection), page by page. */
export async function loadKeyPlaces(api: Api): Promise<VenuePlace[]> {
  const out: GeoJSON.Feature[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<FeaturePage>('/ogc/collections/key_places/items', { limit: PAGE, offset });
    out.push(...page.features);
    if (page.features.length < PAGE || out.length >= (page.numberMatched ?? out.length)) return placesFrom(out);
  }
}

/** The features as places: the id (the feature's, else its property), name and category. */
export function placesFrom(features: readonly GeoJSON.Feature[]): VenuePlace[] {
  const out: VenuePlace[] = [];
  for (const f of features) {
    const p = f.properties ?? {};
    const id = String(f.id ?? p.id ?? '');
    if (!id) continue;
    out.push({ id, name: String(p.name ?? id), category: String(p.category ?? '') });
  }
  return out;
}

/** The places whose id, name or category holds the text (any case); all for no text. */
export function filterPlaces(places: readonly VenuePlace[], text: string): VenuePlace[] {
  const q = text.trim().toLowerCase();
  if (!q) return [...places];
  return places.filter((p) => p.id.toLowerCase().includes(q) || p.name.toLowerCase().includes(q) || p.category.toLowerCase().includes(q));
}

/** `GET /api/venues/{id}/code` (JSON), `code.png`, `code.svg`. */
export function venueCodePath(id: string, what: 'json' | 'png' | 'svg'): string {
  return `/api/venues/${encodeURIComponent(id)}/code${what === 'json' ? '' : `.${what}`}`;
}

/** A file name's part: characters no file system takes made `_`, spaces kept single, not too long. */
function filePart(s: string): string {
  return s
    .replace(/[\\/:*?"<>|\u0000-\u001f\u007f]+/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 60);
}

/** 场所码-实验小学-K0001.svg: the name people read first, the id that makes it unique. */
export function venueFileName(name: string, id: string, ext: 'svg' | 'png'): string {
  const parts = ['场所码', filePart(name), filePart(id)].filter((p) => p !== '');
  // A place named as its id gets the id once.
  const unique = parts.filter((p, n) => parts.indexOf(p) === n);
  return `${unique.join('-')}.${ext}`;
}

/** Each place's newest inspection among those read (the list is newest first). */
export function lastInspections(list: readonly Inspection[]): Map<string, Inspection> {
  const last = new Map<string, Inspection>();
  for (const i of list) {
    const seen = last.get(i.place_id);
    if (!seen || i.at_ms > seen.at_ms) last.set(i.place_id, i);
  }
  return last;
}

/** The failed items of an inspection, one a line, for the problems cell's hover. */
export function problemsDetail(i: Inspection): string {
  return i.checklist
    .filter((c) => !c.ok)
    .map((c) => (c.note ? `${c.item}：${c.note}` : c.item))
    .join('\n');
}
