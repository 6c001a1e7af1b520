import { beforeEach, describe, expect, it } from 'vitest';
import { setLang } from '../shared/i18n';
import type { IntakeDelivery } from '../shared/types';
import { fill } from './dialog';
import { formatCategoryMap, minorCategories, parseCategoryMap, sourceFromForm, validUrl } from './intake';
import { nowrapTerms } from './intakeForm';
import { deliveriesTableHtml, sourcesTableHtml } from './intakeSection';

const known = minorCategories([
  { code: '01', name: '市容', children: [{ code: '0101', name: '占道经营' }, { code: '0102', name: '乱堆物料' }] },
  { code: '02', name: '治安', children: [{ code: '0201', name: '纠纷' }] },
]);

beforeEach(() => setLang('zh'));

describe('category mapping', () => {
  it('names the minor categories in the page language, Chinese when no English name is given', () => {
    const tree = [{ code: '02', name: '城管', children: [{ code: '0204', name: '市政设施损坏', name_en: 'Damaged public facilities' }, { code: '0205', name: '违规停车' }] }];
    expect([...minorCategories(tree, 'en')]).toEqual([['0204', 'Damaged public facilities'], ['0205', '违规停车']]);
    expect(minorCategories(tree, 'zh').get('0204')).toBe('市政设施损坏');
  });
  it('reads lines external=minor, with spaces, comments, blank lines and a full-width ＝', () => {
    const r = parseCategoryMap('101=0101\n  # a comment\n\n 102 = 0102 \r\n城管类＝0201', known);
    expect(r.problems).toEqual([]);
    expect(r.map).toEqual({ '101': '0101', '102': '0102', 城管类: '0201' });
  });
  it('names the line of each problem: no =, an empty side, a key twice, an unknown code', () => {
    const r = parseCategoryMap('101\n=0101\n102=\n103=0101\n103=0102\n104=9999', known);
    expect(r.problems.map((p) => fill(p.key, p.values))).toEqual([
      '第 1 行“101”应为“外部分类=小类编码”',
      '第 2 行“=0101”应为“外部分类=小类编码”',
      '第 3 行“102=”应为“外部分类=小类编码”',
      '第 5 行：外部分类 103 重复',
      '第 6 行：没有小类编码 9999',
    ]);
    expect(r.map).toEqual({ '103': '0101' });
  });
  it('takes any code without a dictionary, and writes the mapping back as sorted lines', () => {
    expect(parseCategoryMap('a=9999', null).map).toEqual({ a: '9999' });
    const text = formatCategoryMap({ b: '0102', a: '0101' });
    expect(text).toBe('a=0101\nb=0102');
    expect(parseCategoryMap(text, known).map).toEqual({ a: '0101', b: '0102' });
  });
});

describe('intake source form', () => {
  const form = { name: 'hotline12345', title: '12345 热线', kind: 'hotline', categories: '101=0101', default_category: '', callback_url: '', secret: '' };
  it('makes the source, empty optional fields as null and no secret', () => {
    expect(sourceFromForm(form, known)).toEqual({
      source: { name: 'hotline12345', title: '12345 热线', kind: 'hotline', categories: { '101': '0101' }, default_category: null, callback_url: null },
    });
    const r = sourceFromForm({ ...form, categories: '', default_category: '0201', callback_url: 'http://12345.gov/cb', secret: 's'.repeat(16) }, known);
    expect('source' in r && r.source).toMatchObject({ categories: {}, default_category: '0201', callback_url: 'http://12345.gov/cb', secret: 's'.repeat(16) });
  });
  it('says every problem at once', () => {
    const r = sourceFromForm({ name: 'bad name', title: ' ', kind: 'fax', categories: '', default_category: '', callback_url: 'ftp://x', secret: 'short' }, known);
    expect('problems' in r && r.problems.map((p) => p.key)).toEqual([
      'intake.bad_name', 'intake.no_title', 'intake.bad_kind', 'intake.no_categories', 'intake.bad_url', 'intake.short_secret',
    ]);
    const unknownDefault = sourceFromForm({ ...form, default_category: '0999' }, known);
    expect('problems' in unknownDefault && unknownDefault.problems.map((p) => p.key)).toEqual(['intake.default_unknown']);
  });
  it('accepts only full http:// callback addresses (the server posts no https: a TLS proxy does)', () => {
    expect(validUrl('http://10.0.0.5:8080/cb')).toBe(true);
    expect(validUrl('http://a.gov/x?y=1')).toBe(true);
    expect(validUrl('https://a.gov/x?y=1')).toBe(false);
    expect(validUrl('http://')).toBe(false);
    expect(validUrl('10.0.0.5/cb')).toBe(false);
    expect(validUrl('javascript:alert(1)')).toBe(false);
  });
});

describe('intake tables', () => {
  const d = (over: Partial<IntakeDelivery>): IntakeDelivery => ({
    id: 1, source: 'hotline12345', ticket: 'T1', incident: 'SJ1', seq: 3, state: 'failed', attempts: 5,
    last_error: 'connection refused', next_ms: 0, delivered_ms: null, created_ms: 0, ...over,
  });
  it('offers retry on failed callbacks only', () => {
    const html = deliveriesTableHtml([d({ id: 7 }), d({ id: 8, state: 'pending' }), d({ id: 9, state: 'delivered', delivered_ms: 1 })]);
    expect(html.match(/data-retry="/g)).toHaveLength(1);
    expect(html).toContain('data-retry="7"');
    expect(html).toContain('connection refused');
  });
  it('lists the sources with the mapping counted and the default category by name', () => {
    const html = sourcesTableHtml(
      [{ name: 'cam', title: '<视频>', kind: 'camera', categories: { a: '0101', b: '0102' }, default_category: '0201', callback_url: null }],
      known,
    );
    expect(html).toContain('2 项');
    expect(html).toContain('&lt;视频&gt;');
    expect(html).toContain('纠纷');
    expect(html).toContain('data-edit-source="cam"');
  });
});

describe('the secret dialog', () => {
  it('keeps each header name on one line and marks the address as code', () => {
    expect(nowrapTerms('posts to http://h:8080/api/intake/a-b with X-Riskmap-Timestamp and X-Riskmap-Signature.')).toBe(
      'posts to <code class="url">http://h:8080/api/intake/a-b</code> with <code class="nowrap">X-Riskmap-Timestamp</code> and <code class="nowrap">X-Riskmap-Signature</code>.',
    );
  });
});
