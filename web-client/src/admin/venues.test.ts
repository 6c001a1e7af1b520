import { describe, expect, it } from 'vitest';
import { setLang, t } from '../shared/i18n';
import type { Inspection } from '../shared/venueTypes';
import { filterPlaces, lastInspections, MAX_ROWS, placesFrom, problemsDetail, venueCodePath, venueFileName } from './venues';
import { inspectionsTableHtml, placesTableHtml, previewHtml } from './venuesSection';

const feature = (id: string | undefined, properties: Record<string, unknown>): GeoJSON.Feature => ({
  type: 'Feature', ...(id ? { id } : {}), geometry: { type: 'Point', coordinates: [120.6, 28] }, properties,
});

const inspection = (over: Partial<Inspection>): Inspection => ({
  id: 'INS-1', place_id: 'K0001', place_name: '实验小学', place_category: '学校', grid: 'G1', kind: 'inspection', staff_id: 'S1', staff_name: '张三',
  at_ms: 1_000, position: { lon: 120, lat: 28 }, distance_m: 12.4, checklist: [], problems: 0, note: null, photos: [], ...over,
});

describe('场所码 on the admin page', () => {
  const places = placesFrom([
    feature('K0001', { id: 'K0001', name: '实验小学', category: '学校' }),
    feature(undefined, { id: 'K0002', name: '人民医院', category: '医院' }),
    feature('K0003', { name: 'Riverside Market', category: '农贸市场' }),
    feature(undefined, { name: 'no id' }),
  ]);
  it('reads the key places from the OGC features, by the feature id or the property', () => {
    expect(places).toEqual([
      { id: 'K0001', name: '实验小学', category: '学校' },
      { id: 'K0002', name: '人民医院', category: '医院' },
      { id: 'K0003', name: 'Riverside Market', category: '农贸市场' },
    ]);
  });
  it('searches name, id and category, in any case', () => {
    expect(filterPlaces(places, '').length).toBe(3);
    expect(filterPlaces(places, '小学').map((p) => p.id)).toEqual(['K0001']);
    expect(filterPlaces(places, 'k0002').map((p) => p.id)).toEqual(['K0002']);
    expect(filterPlaces(places, ' riverside ').map((p) => p.id)).toEqual(['K0003']);
    expect(filterPlaces(places, '医院').map((p) => p.id)).toEqual(['K0002']);
    expect(filterPlaces(places, '派出所')).toEqual([]);
  });
  it('asks for the code and the QR code by the place id, escaped', () => {
    expect(venueCodePath('K0001', 'json')).toBe('/api/venues/K0001/code');
    expect(venueCodePath('K0001', 'png')).toBe('/api/venues/K0001/code.png');
    expect(venueCodePath('a/b c', 'svg')).toBe('/api/venues/a%2Fb%20c/code.svg');
  });
  it('saves the files as 场所码-name-id, with what no file system takes made _', () => {
    expect(venueFileName('实验小学', 'K0001', 'svg')).toBe('场所码-实验小学-K0001.svg');
    expect(venueFileName('实验小学', 'K0001', 'png')).toBe('场所码-实验小学-K0001.png');
    expect(venueFileName('A/B: "东区"*店?', 'K 9', 'svg')).toBe('场所码-A_B_ _东区_店_-K 9.svg');
    expect(venueFileName('  ', 'K0001', 'png')).toBe('场所码-K0001.png');
    expect(venueFileName('K0001', 'K0001', 'png')).toBe('场所码-K0001.png');
    expect(venueFileName('x'.repeat(200), 'K1', 'svg')).toBe(`场所码-${'x'.repeat(60)}-K1.svg`);
  });
  it("keeps each place's newest inspection, and lists the failed items", () => {
    const list = [inspection({ id: 'b', at_ms: 3 }), inspection({ id: 'a', at_ms: 2 }), inspection({ id: 'c', place_id: 'K0002', at_ms: 1 })];
    const last = lastInspections(list);
    expect(last.get('K0001')?.id).toBe('b');
    expect(last.get('K0002')?.id).toBe('c');
    expect(problemsDetail(inspection({ checklist: [{ item: '消防通道畅通', ok: false, note: '堆物' }, { item: '灭火器有效', ok: true }, { item: '电气线路安全', ok: false }] }))).toBe('消防通道畅通：堆物\n电气线路安全');
  });
  it('draws the places with 预览 and the two downloads, and the last inspection', () => {
    setLang('zh');
    const html = placesTableHtml(places, lastInspections([inspection({ kind: 'check_in' })]));
    expect(html.match(/<tr data-place=/g)).toHaveLength(3);
    expect(html).toContain('data-preview="K0001"');
    expect(html).toContain('href="/api/venues/K0001/code.svg" download="场所码-实验小学-K0001.svg"');
    expect(html).toContain('href="/api/venues/K0002/code.png" download="场所码-人民医院-K0002.png"');
    expect(html).toContain('打卡 · 张三');
    expect(MAX_ROWS).toBeGreaterThan(0);
    setLang('en');
    expect(placesTableHtml(places, new Map())).toContain('Download SVG');
    setLang('zh');
  });
  it('draws the recent inspections: time, place, kind, worker, problems, distance', () => {
    setLang('zh');
    const html = inspectionsTableHtml([
      inspection({ problems: 2, checklist: [{ item: '消防通道畅通', ok: false }, { item: '灭火器有效', ok: false }] }),
      inspection({ id: 'INS-2', kind: 'check_in', distance_m: 0 }),
    ]);
    expect(html).toContain('data-inspection="INS-1"');
    expect(html).toContain('<td class="kind">检查</td>');
    expect(html).toContain('<td class="kind">打卡</td>');
    expect(html).toContain('title="消防通道畅通\n灭火器有效">2 项</span>');
    expect(html).toContain('12 m');
    expect(html).toContain('场所内');
    expect(html).toContain('张三');
    setLang('en');
    expect(inspectionsTableHtml([inspection({})])).toContain('<td class="kind">Inspection</td>');
    expect(t('tab.venues')).toBe('Venue codes');
    setLang('zh');
  });
  it('previews the QR code with the code printed under it and the link it opens', () => {
    setLang('zh');
    const place = places[0]!;
    expect(previewHtml(place, null, null)).toContain('加载中');
    const code = { place_id: 'K0001', name: '实验小学', category: '学校', grid: 'G1', code: 'K0001.AbC', path: '/field?venue=K0001.AbC', link: 'http://h/field?venue=K0001.AbC' };
    const html = previewHtml(place, { code, url: 'blob:x', grid: '一号网格', link: 'http://h/field?venue=K0001.AbC' }, null);
    expect(html).toContain('<img src="blob:x"');
    expect(html).toContain('<code data-testid="venue-code-text">K0001.AbC</code>');
    expect(html).toContain('http://h/field?venue=K0001.AbC');
    expect(html).toContain('一号网格');
    expect(html).toContain('download="场所码-实验小学-K0001.svg"');
    expect(previewHtml(place, null, new Error('x'))).not.toContain('加载中');
  });
});
