import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../shared/api';
import { errorMessage, errorWithDetail } from '../shared/errors';
import type { Fence } from '../shared/fences';
import { formatDateTime } from '../shared/format';
import { missingTranslations, setLang, t } from '../shared/i18n';
import { fill } from './dialog';
import { filterFences, MAX_ROWS, readFenceFile, SAVE_MODES, savedText, saveMethod } from './fences';
import { fencesTableHtml } from './fencesSection';

afterEach(() => setLang('zh'));

const square: GeoJSON.Polygon = { type: 'Polygon', coordinates: [[[120.65, 28.01], [120.651, 28.01], [120.651, 28.011], [120.65, 28.011], [120.65, 28.01]]] };

const fence = (over: Partial<Fence> = {}): Fence => ({
  id: 'F1', name: '水库警戒区', detect: ['enter', 'exit'], updated_ms: Date.UTC(2026, 11, 4, 1, 30) /* 09:30 in the city */, updated_by: 'admin', geometry: square, ...over,
});

const said = (r: ReturnType<typeof readFenceFile>) => (r.ok ? `ok ${r.count}` : fill(r.problem.key, r.problem.values));

describe('电子围栏 on the admin page', () => {
  it('reads a .geojson file of one fence or many, and sends it as it is', () => {
    const one = { type: 'Feature', geometry: square, properties: { name: '水库警戒区', detect: ['enter'] } };
    const r = readFenceFile(JSON.stringify(one));
    expect(r).toEqual({ ok: true, body: one, count: 1 });
    const many = { type: 'FeatureCollection', features: [one, { ...one, id: 'F2', geometry: { type: 'MultiPolygon', coordinates: [square.coordinates] } }] };
    expect(readFenceFile(`\uFEFF${JSON.stringify(many)}`)).toEqual({ ok: true, body: many, count: 2 });
  });
  it('says why a file cannot be sent, naming the first fence that is not one', () => {
    const named = (i: number) => ({ type: 'Feature', geometry: square, properties: { name: `围栏${i}` } });
    expect(said(readFenceFile('{ not json'))).toBe('不是 JSON 文件');
    expect(said(readFenceFile('[1, 2]'))).toBe('不是 GeoJSON 的 Feature 或 FeatureCollection');
    expect(said(readFenceFile('null'))).toBe('不是 GeoJSON 的 Feature 或 FeatureCollection');
    expect(said(readFenceFile(JSON.stringify(square)))).toContain('只有几何');
    expect(said(readFenceFile(JSON.stringify({ type: 'FeatureCollection', features: [] })))).toBe('文件中没有围栏');
    const point = { type: 'Feature', geometry: { type: 'Point', coordinates: [120.65, 28.01] }, properties: { name: '点' } };
    expect(said(readFenceFile(JSON.stringify({ type: 'FeatureCollection', features: [named(1), point] })))).toBe('第 2 个要素的几何不是 Polygon 或 MultiPolygon（是 Point）');
    expect(said(readFenceFile(JSON.stringify({ type: 'FeatureCollection', features: [named(1), named(2), { ...named(3), properties: { name: ' ' } }] })))).toBe('第 3 个要素没有名称（properties.name）');
    expect(said(readFenceFile(JSON.stringify({ type: 'Feature', geometry: null, properties: { name: 'x' } })))).toContain('（是 —）');
    setLang('en');
    expect(said(readFenceFile(JSON.stringify({ type: 'Feature', geometry: square, properties: {} })))).toBe('feature 1 has no name (properties.name)');
    expect(said(readFenceFile('x'))).toBe('it is not a JSON file');
  });
  it('adds or replaces by id with POST, replaces all with PUT', () => {
    expect(SAVE_MODES).toEqual(['add', 'replace']);
    expect(saveMethod('add')).toBe('POST');
    expect(saveMethod('replace')).toBe('PUT');
  });
  it("says the server's counts in both languages", () => {
    expect(savedText({ saved: 3, removed: 0 })).toBe('已保存 3 个围栏');
    expect(savedText({ saved: 3, removed: 2 })).toBe('已保存 3 个围栏，删除 2 个');
    expect(savedText(null)).toBe('已保存 0 个围栏');
    setLang('en');
    expect(savedText({ saved: 1, removed: 0 })).toBe('Saved 1 fences');
    expect(savedText({ saved: 4, removed: 5 })).toBe('Saved 4 fences, removed 5');
  });
  it('searches id and name, in any case', () => {
    const list = [fence(), fence({ id: 'site-2', name: 'Building Site' }), fence({ id: 'F3', name: '加油站周边' })];
    expect(filterFences(list, '').length).toBe(3);
    expect(filterFences(list, '水库').map((f) => f.id)).toEqual(['F1']);
    expect(filterFences(list, ' SITE ').map((f) => f.id)).toEqual(['site-2']);
    expect(filterFences(list, 'f3').map((f) => f.id)).toEqual(['F3']);
    expect(filterFences(list, '派出所')).toEqual([]);
    expect(MAX_ROWS).toBeGreaterThan(0);
  });
  it('lists each fence: id, name, what it reports in words, who saved it when, 删除', () => {
    const at = fence().updated_ms!;
    const html = fencesTableHtml([fence(), fence({ id: 'F2', name: '<i>工地</i>', detect: ['exit'], updated_ms: null, updated_by: null })]);
    expect(html.match(/<tr data-fence=/g)).toHaveLength(2);
    for (const s of ['<td class="name">水库警戒区</td>', '进入、离开提醒', 'data-detect="enter,exit"', '离开提醒', '<td class="updated-by">admin</td>', `<td class="updated-at">${formatDateTime(at)}</td>`, 'data-delete-fence="F2"', '&lt;i&gt;工地&lt;/i&gt;', '>删除<', '>更新人<']) {
      expect(html).toContain(s);
    }
    expect(html).not.toContain('<i>工地</i>');
    expect(html).toContain('<td class="updated-by">—</td><td class="updated-at">—</td>');
    setLang('en');
    const en = fencesTableHtml([fence({ detect: ['enter'] })]);
    for (const s of ['Alert on entering', '>Delete<', '>Updated by<', '>Alerts<']) expect(en).toContain(s);
    expect(t('tab.fences')).toBe('Geofences');
    setLang('zh');
    expect(t('tab.fences')).toBe('电子围栏');
  });
  it("says a refusal in words, with the server's own (which fence, what is wrong)", () => {
    const bad = new ApiError(400, 'bad_request', 'fence F9: properties.detect is a list of "enter", "exit"');
    expect(errorWithDetail(bad, 'fence')).toBe('围栏数据有误（几何、名称、提醒方式或编号），请检查文件后重试：fence F9: properties.detect is a list of "enter", "exit"');
    expect(errorMessage(new ApiError(403, 'forbidden', 'fence F9 lies outside your area'), 'fence')).toBe('只有系统管理员可以管理电子围栏，且围栏须在您的管辖范围内');
    expect(errorMessage(new ApiError(404, 'not_found', 'F9'), 'fence')).toContain('该围栏不存在');
    setLang('en');
    expect(errorWithDetail(new ApiError(403, 'forbidden', 'fence F9 lies outside your area'), 'fence')).toBe(
      'Only administrators manage geofences, and each must lie in their area: fence F9 lies outside your area',
    );
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});
