import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../shared/api';
import { errorMessage, errorWithDetail } from '../shared/errors';
import { missingTranslations, setLang, t } from '../shared/i18n';
import type { Shift } from '../shared/roster';
import { fill } from './dialog';
import { filterShifts, MAX_ROWS, readRosterFile, rosterFileName, savedText } from './roster';
import { shiftsTableHtml } from './rosterSection';

afterEach(() => setLang('zh'));

const shift = (over: Record<string, unknown> = {}) => ({
  grid: '330302001001001', staff: ['S000001', 'S000002'], days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '17:30', name: '白班', ...over,
});

/** What a read says: ok and the count, or each problem in the page's language. */
const said = (r: ReturnType<typeof readRosterFile>) => (r.ok ? `ok ${r.count}` : r.problems.map((p) => fill(p.key, p.values)));

const names = {
  grid: (c: string) => ({ '330302001001001': '南岸社区第1网格', '330302001001002': '南岸社区第2网格' })[c] ?? null,
  staff: (id: string) => ({ S000001: '王芳', S000002: '李强' })[id] ?? null,
};

describe('排班 on the admin page: the import file', () => {
  it('reads {"shifts": […]} or a bare list, and sends the shifts as they are', () => {
    const night = shift({ start: '22:00', end: '06:00', name: undefined, days: ['sat', 'sun'] });
    delete (night as Record<string, unknown>).name;
    const r = readRosterFile(JSON.stringify({ shifts: [shift(), night] }));
    expect(r).toEqual({ ok: true, body: { shifts: [shift(), night] }, count: 2 });
    expect(said(readRosterFile(`\uFEFF${JSON.stringify([shift()])}`))).toBe('ok 1');
    // An empty roster clears the area's: it may be sent (the page asks first).
    expect(readRosterFile('{"shifts": []}')).toEqual({ ok: true, body: { shifts: [] }, count: 0 });
  });
  it('says what is wrong with the file as a whole', () => {
    expect(said(readRosterFile('{ not json'))).toEqual(['不是 JSON 文件']);
    expect(said(readRosterFile('{"roster": []}'))).toEqual(['应为 {"shifts": [...]} 或班次数组']);
    expect(said(readRosterFile('null'))).toEqual(['应为 {"shifts": [...]} 或班次数组']);
    expect(said(readRosterFile(JSON.stringify(Array.from({ length: 20_001 }, () => 1))))).toEqual(['共 20001 个班次，最多 20000 个']);
  });
  it('checks every shift and names each problem by the shift’s place and grid', () => {
    const file = [
      shift(),
      'x',
      shift({ grid: '', staff: [] }),
      shift({ days: ['monday', 'sun'], start: '8:00', end: '24:00' }),
      shift({ start: '09:00', end: '09:00', note: 'x', extra: 1 }),
      shift({ days: [], end: undefined, staff: ['S1', ''] }),
      shift({ grid: '3303', name: 'x'.repeat(51) }),
      shift({ staff: Array.from({ length: 51 }, (_, i) => `S${i}`), start: 800 }),
    ];
    const r = readRosterFile(JSON.stringify({ shifts: file }), { isGrid: (c) => c.length === 15 });
    expect(said(r)).toEqual([
      '第 2 个班次不是对象',
      '第 3 个班次：缺少网格编码（grid）',
      '第 3 个班次（网格 —）：缺少人员（staff，至少 1 个人员编号）',
      '第 4 个班次（网格 330302001001001）："monday" 不是星期（应为 "mon"、"tue"、"wed"、"thu"、"fri"、"sat"、"sun"）',
      '第 4 个班次（网格 330302001001001）：start 为 "8:00"，应为 HH:MM（如 "08:00"）',
      '第 4 个班次（网格 330302001001001）：end 为 "24:00"，应为 HH:MM（如 "08:00"）',
      '第 5 个班次（网格 330302001001001）：未知字段 note, extra',
      '第 5 个班次（网格 330302001001001）：开始与结束时间相同',
      '第 6 个班次（网格 330302001001001）：人员编号须为非空文字',
      '第 6 个班次（网格 330302001001001）：缺少日期（days，"mon"…"sun"）',
      '第 6 个班次（网格 330302001001001）：缺少 end（HH:MM）',
      '第 7 个班次：网格 3303 不在您的管辖范围内',
      '第 7 个班次（网格 3303）：名称（name）须为不超过 50 个字的文字',
      '第 8 个班次（网格 330302001001001）：51 名人员，最多 50 名',
      '第 8 个班次（网格 330302001001001）：start 为 800，应为 HH:MM（如 "08:00"）',
    ]);
    // Without the area's grids to hand, any grid code passes here (the server checks it).
    expect(said(readRosterFile(JSON.stringify([shift({ grid: '3303' })])))).toBe('ok 1');
    setLang('en');
    expect(said(readRosterFile(JSON.stringify([shift({ staff: 'S1', start: '25:00' })])))).toEqual([
      'shift 1 (grid 330302001001001): no staff (staff, at least one staff id)',
      'shift 1 (grid 330302001001001): start is "25:00", not HH:MM (such as "08:00")',
    ]);
    expect(said(readRosterFile('x'))).toEqual(['it is not a JSON file']);
  });
  it("says the server's counts in both languages", () => {
    expect(savedText({ saved: 3, replaced: 5 })).toBe('已保存 3 个班次，替换原有 5 个');
    expect(savedText(null)).toBe('已保存 0 个班次，替换原有 0 个');
    setLang('en');
    expect(savedText({ saved: 1, replaced: 0 })).toBe('Saved 1 shifts, replacing 0');
  });
  it("says a refusal in words, with the server's own (which shift, what is wrong)", () => {
    const bad = new ApiError(400, 'bad_request', 'shift of grid 330302001001001: no staff member S99');
    expect(errorWithDetail(bad, 'roster')).toBe('排班数据有误（网格、人员、日期或时间），请检查文件后重试：shift of grid 330302001001001: no staff member S99');
    expect(errorMessage(new ApiError(403, 'forbidden', 'setting the roster is for administrators'), 'roster')).toBe('只有系统管理员可以设置排班，且网格须在您的管辖范围内');
    setLang('en');
    expect(errorWithDetail(new ApiError(400, 'bad_request', '"25:00" is no time of day: HH:MM'), 'roster')).toBe(
      'Something in the roster (grid, staff, days or times) is not valid; check the file and try again: "25:00" is no time of day: HH:MM',
    );
  });
});

describe('排班 on the admin page: the list', () => {
  const list = [shift(), shift({ grid: '330302001001002', staff: ['S000003'], name: '夜班', start: '22:00', end: '06:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] })] as Shift[];

  it('searches grid code and name, staff id and name, shift name, in any case', () => {
    expect(filterShifts(list, '', names)).toHaveLength(2);
    expect(filterShifts(list, '第2网格', names).map((s) => s.grid)).toEqual(['330302001001002']);
    expect(filterShifts(list, '001001001', names).map((s) => s.grid)).toEqual(['330302001001001']);
    expect(filterShifts(list, ' s000003 ', names).map((s) => s.name)).toEqual(['夜班']);
    expect(filterShifts(list, '李强', names).map((s) => s.name)).toEqual(['白班']);
    expect(filterShifts(list, '夜班', names)).toHaveLength(1);
    expect(filterShifts(list, '派出所', names)).toEqual([]);
    expect(MAX_ROWS).toBeGreaterThan(0);
  });
  it('lists each shift: grid by name and code, shift name, staff by name and id, days and time in words; escaped', () => {
    const html = shiftsTableHtml([...list, shift({ grid: '9999', name: '<i>x</i>', staff: ['S9'] }) as Shift], names);
    expect(html.match(/<tr data-grid=/g)).toHaveLength(3);
    for (const s of [
      '南岸社区第1网格 <small>330302001001001</small>', '<td class="name">白班</td>', '王芳 <small>S000001</small>', '李强 <small>S000002</small>',
      'data-days="mon,tue,wed,thu,fri">周一至周五<', '<td class="time">08:00–17:30</td>', '>每天<', '<td class="time">22:00–次日06:00</td>',
      '<span class="username">9999</span>', '<span class="member" data-staff="S9">S9</span>', '&lt;i&gt;x&lt;/i&gt;', '>网格<', '>人员<',
    ]) {
      expect(html).toContain(s);
    }
    expect(html).not.toContain('<i>x</i>');
    setLang('en');
    const en = shiftsTableHtml(list, names);
    for (const s of ['>Mon–Fri<', '>Every day<', '22:00–06:00 next day', '>Grid<', '>Staff<', '>Days<', '>Time<']) expect(en).toContain(s);
    expect(t('tab.roster')).toBe('Roster');
    setLang('zh');
    expect(t('tab.roster')).toBe('排班');
  });
  it('names the download by the area and the day', () => {
    expect(rosterFileName('温州市', '2026-12-04')).toBe('排班-温州市-2026-12-04.json');
    expect(rosterFileName('a/b: c', '2026-12-04')).toBe('排班-a_b_c-2026-12-04.json');
    expect(rosterFileName(null, '2026-12-04')).toBe('排班-2026-12-04.json');
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});
