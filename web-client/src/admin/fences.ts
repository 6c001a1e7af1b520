// 电子围栏 on the admin page, without the page: a .geojson file read and
// checked before anything is sent (a Feature or a FeatureCollection of
// fences, each a polygon with a name), how it is sent (添加/按编号替换: POST;
// 全部替换: PUT), the server's answer in words, and the list's search.

import type { Fence } from '../shared/fences';
import { fill } from './dialog';
import './fenceLabels';

/** 添加或按编号替换 (POST) or 全部替换 (PUT: the area's other fences are deleted). */
export type FenceSaveMode = 'add' | 'replace';

export const SAVE_MODES: readonly FenceSaveMode[] = ['add', 'replace'];

export const saveMethod = (mode: FenceSaveMode): 'POST' | 'PUT' => (mode === 'replace' ? 'PUT' : 'POST');

/** Rows the list draws at most: the search narrows a city's fences. */
export const MAX_ROWS = 200;

/** A sentence key and what fills it in. */
export interface FenceProblem {
  key: string;
  values: Record<string, string | number>;
}

/** A file read: what to send and how many fences it holds, or why it cannot be sent. */
export type FenceFile =
  | { ok: true; body: GeoJSON.Feature | GeoJSON.FeatureCollection; count: number }
  | { ok: false; problem: FenceProblem };

const refused = (key: string, values: Record<string, string | number> = {}): FenceFile => ({ ok: false, problem: { key, values } });

/**
 * A .geojson file's text: a Feature or a FeatureCollection of fences, each a
 * Polygon or MultiPolygon with `properties.name`. The first fence that is
 * not one is named (by its place in the file, from 1); the server checks the
 * rest (the geometry itself, `detect`, the id, the area) and says what it
 * refuses.
 */
export function readFenceFile(text: string): FenceFile {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return refused('fence.file.not_json');
  }
  const o = (json ?? {}) as { type?: unknown; features?: unknown };
  if (o.type === 'Polygon' || o.type === 'MultiPolygon') return refused('fence.file.bare_geometry');
  const features = o.type === 'FeatureCollection' && Array.isArray(o.features) ? o.features : o.type === 'Feature' ? [o] : null;
  if (!features) return refused('fence.file.not_geojson');
  if (features.length === 0) return refused('fence.file.empty');
  for (const [i, f] of (features as (Partial<GeoJSON.Feature> | null)[]).entries()) {
    const type = f?.geometry?.type;
    if (type !== 'Polygon' && type !== 'MultiPolygon') return refused('fence.file.not_polygon', { n: i + 1, type: String(type ?? '—') });
    const name = f?.properties?.name;
    if (typeof name !== 'string' || !name.trim()) return refused('fence.file.no_name', { n: i + 1 });
  }
  return { ok: true, body: json as GeoJSON.Feature | GeoJSON.FeatureCollection, count: features.length };
}

/** 已保存 3 个围栏 / 已保存 3 个围栏，删除 2 个: the server's `{"saved", "removed"}` in words. */
export function savedText(r: { saved?: number; removed?: number } | null | undefined): string {
  const saved = r?.saved ?? 0;
  const removed = r?.removed ?? 0;
  return removed > 0 ? fill('fence.saved_removed', { saved, removed }) : fill('fence.saved', { saved });
}

/** The fences whose id or name holds the text (any case); all for no text. */
export function filterFences(fences: readonly Fence[], text: string): Fence[] {
  const q = text.trim().toLowerCase();
  if (!q) return [...fences];
  return fences.filter((f) => f.id.toLowerCase().includes(q) || f.name.toLowerCase().includes(q));
}
