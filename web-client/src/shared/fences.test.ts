import { describe, expect, it } from 'vitest';
import { detectOf, detectText, fencePath, fencesFrom, updatedText } from './fences';
import { formatDateTime } from './format';

const square: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[120.65, 28.01], [120.651, 28.01], [120.651, 28.011], [120.65, 28.011], [120.65, 28.01]]] };

const feature = (id: string | undefined, properties: Record<string, unknown> | null, geometry: GeoJSON.Geometry | null = square): GeoJSON.Feature => ({
  type: 'Feature', ...(id ? { id } : {}), geometry: geometry as GeoJSON.Geometry, properties,
});

describe('电子围栏 as the server answers them', () => {
  it('reads each fence: id, name, the crossings it reports, who saved it when, its shape', () => {
    const fences = fencesFrom({
      type: 'FeatureCollection',
      features: [
        feature('F1', { name: '水库警戒区', detect: ['enter'], updated_ms: 1_000, updated_by: 'admin' }),
        feature('F2', { name: '工地', detect: ['exit', 'enter'] }, { type: 'MultiPolygon', coordinates: [square.coordinates] }),
      ],
    });
    expect(fences).toEqual([
      { id: 'F1', name: '水库警戒区', detect: ['enter'], updated_ms: 1_000, updated_by: 'admin', geometry: square },
      { id: 'F2', name: '工地', detect: ['enter', 'exit'], updated_ms: null, updated_by: null, geometry: { type: 'MultiPolygon', coordinates: [square.coordinates] } },
    ]);
  });
  it('leaves out what is no fence (no id, no polygon) and reads anything but GeoJSON as none', () => {
    const fences = fencesFrom({
      type: 'FeatureCollection',
      features: [
        feature(undefined, { name: 'no id' }),
        feature(undefined, { id: 'F3', name: 'id in the properties' }),
        feature('P1', { name: 'a point' }, { type: 'Point', coordinates: [120.65, 28.01] }),
        feature('N1', { name: 'no geometry' }, null),
        null,
        feature('F4', null),
      ],
    });
    expect(fences.map((f) => [f.id, f.name])).toEqual([['F3', 'id in the properties'], ['F4', 'F4']]);
    expect(fencesFrom(feature('F5', { name: 'one' })).map((f) => f.id)).toEqual(['F5']);
    for (const nothing of [null, undefined, 'x', 3, {}, { type: 'FeatureCollection' }, { type: 'Polygon', coordinates: [] }]) expect(fencesFrom(nothing)).toEqual([]);
  });
  it('takes an absent detect for both crossings (the server default), and keeps only those it knows', () => {
    expect(detectOf(undefined)).toEqual(['enter', 'exit']);
    expect(detectOf('enter')).toEqual(['enter', 'exit']);
    expect(detectOf(['exit'])).toEqual(['exit']);
    expect(detectOf(['exit', 'enter', 'dwell'])).toEqual(['enter', 'exit']);
    expect(detectOf([])).toEqual([]);
  });
  it('says the crossings in words, in both languages', () => {
    expect(detectText(['enter', 'exit'], 'zh')).toBe('进入、离开提醒');
    expect(detectText(['enter'], 'zh')).toBe('进入提醒');
    expect(detectText(['exit'], 'zh')).toBe('离开提醒');
    expect(detectText([], 'zh')).toBe('不提醒');
    expect(detectText(['enter', 'exit'], 'en')).toBe('Alerts on entering and leaving');
    expect(detectText(['enter'], 'en')).toBe('Alert on entering');
    expect(detectText(['exit'], 'en')).toBe('Alert on leaving');
    expect(detectText([], 'en')).toBe('No alerts');
  });
  it('says who saved it when, what the server said of it', () => {
    const at = Date.UTC(2026, 11, 4, 1, 30); // 09:30 in the city (UTC+8)
    expect(updatedText({ updated_ms: at, updated_by: 'admin' }, 'zh')).toBe(`${formatDateTime(at)} 由 admin 更新`);
    expect(updatedText({ updated_ms: at, updated_by: 'admin' }, 'en')).toBe('Updated 12-04 09:30 by admin');
    expect(updatedText({ updated_ms: null, updated_by: 'admin' }, 'en')).toBe('Updated — by admin');
    expect(updatedText({ updated_ms: null, updated_by: null }, 'zh')).toBe('');
  });
  it('deletes a fence by its id, escaped', () => {
    expect(fencePath('F1')).toBe('/api/fences/F1');
    expect(fencePath('a b/c')).toBe('/api/fences/a%20b%2Fc');
  });
});
