// 电子围栏 (geofences) as the server keeps them (docs/protocol.md,
// "Geofences"): GET /api/fences answers a FeatureCollection, each fence a
// Polygon or MultiPolygon with its name, the crossings it reports (`detect`),
// and when and by whom it was last saved. Read here for the big screen's
// layer and the admin's tab, with the crossings said in words.

import { formatDateTime } from './format';
import { addTranslations, type Lang, lang, t } from './i18n';

addTranslations({
  zh: {
    'fence.detect.both': '进入、离开提醒',
    'fence.detect.enter': '进入提醒',
    'fence.detect.exit': '离开提醒',
    'fence.detect.none': '不提醒',
    'fence.updated': '{at} 由 {by} 更新',
  },
  en: {
    'fence.detect.both': 'Alerts on entering and leaving',
    'fence.detect.enter': 'Alert on entering',
    'fence.detect.exit': 'Alert on leaving',
    'fence.detect.none': 'No alerts',
    'fence.updated': 'Updated {at} by {by}',
  },
});

/** A crossing a fence reports: a worker on duty coming in, or going out. */
export type FenceDetect = 'enter' | 'exit';

/** The crossings in the order they are said. */
export const FENCE_DETECTS: readonly FenceDetect[] = ['enter', 'exit'];

export type FenceGeometry = GeoJSON.Polygon | GeoJSON.MultiPolygon;

/** A fence as the pages read it. */
export interface Fence {
  id: string;
  name: string;
  detect: FenceDetect[];
  /** When it was last saved, and by which login (null if the server did not say). */
  updated_ms: number | null;
  updated_by: string | null;
  geometry: FenceGeometry;
}

/** `GET`, `POST`, `PUT /api/fences`. */
export const FENCES_PATH = '/api/fences';

/** `DELETE /api/fences/{id}`. */
export const fencePath = (id: string): string => `${FENCES_PATH}/${encodeURIComponent(id)}`;

/** The crossings of a `detect` property, enter first; absent (or not a list): both, the server's default. */
export function detectOf(v: unknown): FenceDetect[] {
  if (!Array.isArray(v)) return [...FENCE_DETECTS];
  return FENCE_DETECTS.filter((d) => v.includes(d));
}

const isFenceGeometry = (g: GeoJSON.Geometry | null | undefined): g is FenceGeometry =>
  !!g && (g.type === 'Polygon' || g.type === 'MultiPolygon') && Array.isArray(g.coordinates);

/**
 * The fences of the server's FeatureCollection (a lone Feature is read too),
 * in its order (by id). A feature with no id or no polygon is no fence and is
 * left out; anything else than GeoJSON reads as none.
 */
export function fencesFrom(body: unknown): Fence[] {
  const b = body as { type?: unknown; features?: unknown } | null;
  const features = (
    b?.type === 'FeatureCollection' && Array.isArray(b.features) ? b.features : b?.type === 'Feature' ? [b] : []
  ) as (GeoJSON.Feature | null)[];
  const out: Fence[] = [];
  for (const f of features) {
    if (!f || !isFenceGeometry(f.geometry)) continue;
    const p = f.properties ?? {};
    const id = String(f.id ?? p.id ?? '');
    if (!id) continue;
    out.push({
      id,
      name: typeof p.name === 'string' && p.name ? p.name : id,
      detect: detectOf(p.detect),
      updated_ms: typeof p.updated_ms === 'number' ? p.updated_ms : null,
      updated_by: typeof p.updated_by === 'string' && p.updated_by ? p.updated_by : null,
      geometry: f.geometry,
    });
  }
  return out;
}

/** 进入、离开提醒 / 进入提醒 / 离开提醒 / 不提醒, and the same in English. */
export function detectText(detect: readonly FenceDetect[], l: Lang = lang()): string {
  const enter = detect.includes('enter');
  const exit = detect.includes('exit');
  return t(`fence.detect.${enter && exit ? 'both' : enter ? 'enter' : exit ? 'exit' : 'none'}`, l);
}

/** 12-04 09:30 由 admin 更新 / Updated 12-04 09:30 by admin; the part the server said, or nothing. */
export function updatedText(f: Pick<Fence, 'updated_ms' | 'updated_by'>, l: Lang = lang()): string {
  if (f.updated_ms === null && f.updated_by === null) return '';
  const at = f.updated_ms === null ? '—' : formatDateTime(f.updated_ms);
  return t('fence.updated', l).replace('{at}', at).replace('{by}', f.updated_by ?? '—');
}
