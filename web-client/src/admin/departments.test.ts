import { describe, expect, it } from 'vitest';
import { missingTranslations, setLang, t } from '../shared/i18n';
import type { Department } from '../shared/types';
import { AreaIndex } from './areas';
import { departmentFromForm } from './departmentForm';
import { departmentKinds, departmentsFor, filterDepartments, parseImport, splitList } from './departments';
import { departmentsTableHtml } from './departmentsSection';
import './deptLabels';
import './labels';

const areas = new AreaIndex([
  { code: '330302', name: '鹿城区', level: 'district', parent: '3303' },
  { code: '330302001', name: '五马街道', level: 'street', parent: '330302' },
  { code: '330302002', name: '南汇街道', level: 'street', parent: '330302' },
  { code: '33030200101', name: '府前社区', level: 'community', parent: '330302001' },
]);

const dept = (code: string, area: string, over: Partial<Department> = {}): Department => ({
  code, name: code.toUpperCase(), kind: '综治中心', area, area_name: areas.name(area), level: areas.byCode.get(area)?.level ?? 'city', members: [], ...over,
});

describe('department import files', () => {
  const one = { code: '330302001-zhzx', name: '五马街道综治中心', kind: '综治中心', area: '330302001' };
  it('reads {"departments":[…]}, a bare list and a GeoJSON FeatureCollection', () => {
    const a = parseImport(JSON.stringify({ departments: [one] }));
    expect(a.problems).toEqual([]);
    expect(a.departments).toEqual([one]);
    expect(a.body).toEqual({ departments: [one] });
    expect(parseImport(JSON.stringify([one])).departments).toEqual([one]);
    const fc = { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: null, properties: { ...one, staff: 'S1, S2' } }] };
    const b = parseImport(`\uFEFF${JSON.stringify(fc)}`);
    expect(b.departments).toEqual([{ ...one, staff: ['S1', 'S2'] }]);
    // The collection goes to the server as it is.
    expect(b.body).toEqual(fc);
  });
  it('says what is wrong, record by record, before anything is sent', () => {
    expect(parseImport('{oops').problems.map((p) => p.key)).toEqual(['dept.import_not_json']);
    expect(parseImport('{"a":1}').problems.map((p) => p.key)).toEqual(['dept.import_shape']);
    expect(parseImport('[]').problems.map((p) => p.key)).toEqual(['dept.import_empty']);
    const r = parseImport(JSON.stringify([one, 7, { ...one, name: '' }, one, { ...one, code: 'x', kind: '猫咖' }]), new Set(['综治中心']));
    expect(r.problems).toEqual([
      { key: 'dept.import_not_object', values: { n: 2 } },
      { key: 'dept.import_missing', values: { n: 3, fields: 'name' } },
      { key: 'dept.import_twice', values: { n: 4, code: one.code } },
    ]);
    // A kind no category names is asked about, not refused: the server decides.
    expect(r.warnings).toEqual([{ key: 'dept.import_kind', values: { n: 5, kind: '猫咖' } }]);
    expect(r.departments.map((d) => d.code)).toEqual([one.code, 'x']);
  });
  it('splits staff ids however they were typed', () => {
    expect(splitList(' S1,S2，S3；S4 、S5  S6 ')).toEqual(['S1', 'S2', 'S3', 'S4', 'S5', 'S6']);
    expect(splitList('')).toEqual([]);
  });
  it('checks the form of one department', () => {
    expect(departmentFromForm({ code: ' a ', name: 'A', kind: '派出所', area: '330302001', staff: '' })).toEqual({ code: 'a', name: 'A', kind: '派出所', area: '330302001' });
    expect(departmentFromForm({ code: 'a', name: 'A', kind: '', area: '330302001', staff: '' })).toBe('dept.form.missing');
    expect(departmentFromForm({ code: 'a', name: 'A', kind: 'k', area: 'x', staff: 'S1 S2' })).toMatchObject({ staff: ['S1', 'S2'] });
  });
});

describe('department kinds, filters and the departments a login may join', () => {
  it('takes the kinds from the minors of the category dictionary, once each', () => {
    const cats = [
      { code: '01', name: '市容', children: [{ code: '0101', name: '占道', department: '综合行政执法队' }, { code: '0102', name: '垃圾', department: '环卫所' }] },
      { code: '02', name: '治安', children: [{ code: '0201', name: '纠纷', department: '综治中心' }, { code: '0202', name: '噪声', department: '综合行政执法队' }] },
    ];
    expect(departmentKinds(cats).sort()).toEqual(['环卫所', '综合行政执法队', '综治中心'].sort());
  });
  it('filters by code or name and by kind', () => {
    const list = [dept('wm-zhzx', '330302001'), dept('nh-pcs', '330302002', { kind: '派出所', name: '南汇派出所' })];
    expect(filterDepartments(list, { text: '南汇', kind: '' }).map((d) => d.code)).toEqual(['nh-pcs']);
    expect(filterDepartments(list, { text: 'WM', kind: '' }).map((d) => d.code)).toEqual(['wm-zhzx']);
    expect(filterDepartments(list, { text: '', kind: '派出所' }).map((d) => d.code)).toEqual(['nh-pcs']);
  });
  it("offers the chosen area's departments and those above it, the nearest first", () => {
    const list = [dept('lc', '330302'), dept('wm', '330302001'), dept('nh', '330302002'), dept('city', '3303', { level: 'city' }), dept('fq', '33030200101')];
    const within = (c: string, a: string) => areas.within(c, a);
    const known = (c: string) => areas.byCode.has(c);
    expect(departmentsFor('33030200101', list, within, known).map((d) => d.code)).toEqual(['fq', 'wm', 'lc', 'city']);
    expect(departmentsFor('330302001', list, within, known).map((d) => d.code)).toEqual(['wm', 'lc', 'city']);
    expect(departmentsFor('330302', list, within, known).map((d) => d.code)).toEqual(['lc', 'city']);
    // A city-wide login: the city's own.
    expect(departmentsFor('', list, within, known).map((d) => d.code)).toEqual(['city']);
  });
});

describe('the departments table', () => {
  it('shows code, name, kind, the area by name, its level and the logins bound', () => {
    setLang('zh');
    const html = departmentsTableHtml([dept('wm-zhzx', '330302001', { members: ['wm-disp'] })], (c) => areas.name(c));
    expect(html).toContain('data-department="wm-zhzx"');
    expect(html).toContain('五马街道');
    expect(html).toContain('街镇');
    expect(html).toContain('<span class="member">wm-disp</span>');
    setLang('en');
    expect(departmentsTableHtml([dept('x', '330302001')], () => null)).toContain('<th>Kind</th>');
    setLang('zh');
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
    expect(t('tab.departments', 'en')).toBe('Departments');
  });
});
