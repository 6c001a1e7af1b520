import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Api, ApiError } from '../shared/api';
import { missingTranslations, setLang } from '../shared/i18n';
import { daysText, overnight, shiftsFrom, shiftTime, TIME_OF_DAY } from '../shared/roster';
import { type DueStaff, type DueView, dueModel, dueRowHtml, MAX_LISTED, rosterPanelHtml, silentText } from './rosterDue';
import { POLL_MS, RosterPanel } from './rosterPanel';

afterEach(() => {
  setLang('zh');
  vi.useRealTimers();
});

const member = (over: Partial<DueStaff> = {}): DueStaff => ({
  staff_id: 'S000001', name: '王芳', grid: '330302001001001', grid_name: '南岸社区第1网格', shift: '白班',
  start: '08:00', end: '17:30', presence: 'present', duty: 'available', fix_age_s: 12, ...over,
});

const view = (staff: DueStaff[], over: Partial<DueView> = {}): DueView => ({
  at_ms: 0,
  due: staff.length,
  present: staff.filter((s) => s.presence === 'present').length,
  unreachable: staff.filter((s) => s.presence === 'unreachable').length,
  absent: staff.filter((s) => s.presence === 'absent').length,
  staff,
  ...over,
});

describe('排班: shift times and days in words', () => {
  it('says a shift’s time, past midnight as the next day’s, in both languages', () => {
    expect(shiftTime('08:00', '17:30')).toBe('08:00–17:30');
    expect(shiftTime('22:00', '06:00')).toBe('22:00–次日06:00');
    expect(shiftTime('08:00', '08:00')).toBe('08:00–次日08:00');
    expect(shiftTime('00:00', '23:59')).toBe('00:00–23:59');
    expect(shiftTime('22:00', '06:00', 'en')).toBe('22:00–06:00 next day');
    setLang('en');
    expect(shiftTime('08:00', '17:30')).toBe('08:00–17:30');
    expect(shiftTime('23:30', '00:15')).toBe('23:30–00:15 next day');
    expect([overnight('22:00', '06:00'), overnight('08:00', '17:30'), overnight('09:00', '09:00')]).toEqual([true, false, true]);
  });
  it('says the days Monday first: every day, stretches of three or more, the rest one by one', () => {
    expect(daysText(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('每天');
    expect(daysText(['sun', 'sat', 'fri', 'thu', 'wed', 'tue', 'mon', 'mon'])).toBe('每天');
    expect(daysText(['mon', 'tue', 'wed', 'thu', 'fri'])).toBe('周一至周五');
    expect(daysText(['sun', 'sat'])).toBe('周六、周日');
    expect(daysText(['mon', 'wed', 'fri'])).toBe('周一、周三、周五');
    expect(daysText(['mon', 'tue', 'thu', 'fri', 'sat'])).toBe('周一、周二、周四至周六');
    expect(daysText([])).toBe('');
    expect(daysText(['mon', 'holiday'])).toBe('周一、holiday');
    setLang('en');
    expect(daysText(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('Every day');
    expect(daysText(['fri', 'mon', 'tue', 'wed', 'thu'])).toBe('Mon–Fri');
    expect(daysText(['sat', 'sun'])).toBe('Sat, Sun');
    expect(daysText(['tue', 'thu'], 'zh')).toBe('周二、周四');
  });
  it('knows a time of day as the server reads it', () => {
    for (const ok of ['00:00', '08:00', '17:30', '23:59']) expect(TIME_OF_DAY.test(ok)).toBe(true);
    for (const bad of ['8:00', '24:00', '12:60', '08:00:00', '0800', ' 08:00', '']) expect(TIME_OF_DAY.test(bad)).toBe(false);
  });
  it('reads the server’s shifts by grid then start; anything else as none', () => {
    const s = (grid: string, start: string) => ({ grid, staff: ['S1'], days: ['mon'], start, end: '17:00' });
    expect(shiftsFrom({ shifts: [s('B', '08:00'), s('A', '20:00'), s('A', '07:00')] }).map((x) => `${x.grid} ${x.start}`)).toEqual(['A 07:00', 'A 20:00', 'B 08:00']);
    expect(shiftsFrom({ shifts: [null, { grid: 'A' }, s('A', '08:00')] })).toHaveLength(1);
    expect(shiftsFrom(null)).toEqual([]);
    expect(shiftsFrom({ shifts: 'x' })).toEqual([]);
  });
});

describe('排班 · 应到未到 on the big screen', () => {
  it('lists the absent first, then the unreachable, each by grid and id; counts the present only', () => {
    const staff = [
      member({ staff_id: 'S3', presence: 'present' }),
      member({ staff_id: 'S9', grid: '2', presence: 'unreachable', fix_age_s: 2100 }),
      member({ staff_id: 'S5', grid: '1', presence: 'absent', duty: 'off' }),
      member({ staff_id: 'S2', grid: '2', presence: 'absent', duty: 'off' }),
      member({ staff_id: 'S1', grid: '2', presence: 'unreachable' }),
    ];
    const m = dueModel(view(staff));
    expect(m.counts).toEqual({ due: 5, present: 1, unreachable: 2, absent: 2 });
    expect(m.listed.map((s) => s.staff_id)).toEqual(['S5', 'S2', 'S1', 'S9']);
    // The server's counts stand; missing ones are counted from the list.
    expect(dueModel({ due: 9, staff }).counts).toEqual({ due: 9, present: 1, unreachable: 2, absent: 2 });
    expect(dueModel(null)).toEqual({ counts: { due: 0, present: 0, unreachable: 0, absent: 0 }, listed: [] });
  });
  it('says how long a phone has been silent, in whole units, in both languages', () => {
    expect(silentText(35 * 60 + 59)).toBe('35 分钟未定位');
    expect(silentText(20)).toBe('1 分钟未定位');
    expect(silentText(2 * 3600 + 1800)).toBe('2 小时未定位');
    expect(silentText(3 * 86_400)).toBe('3 天未定位');
    expect(silentText(null)).toBe('从未定位');
    setLang('en');
    expect(silentText(35 * 60)).toBe('no fix for 35 min');
    expect(silentText(7200)).toBe('no fix for 2 h');
    expect(silentText(undefined)).toBe('never located');
  });
  it('draws a person: status, name, shift time, grid, shift name and (失联) how long silent; escaped', () => {
    const absent = dueRowHtml(member({ presence: 'absent', duty: 'off', name: '<b>王芳</b>' }));
    for (const s of ['data-staff="S000001"', 'data-presence="absent"', '>未到岗<', '&lt;b&gt;王芳&lt;/b&gt;', '08:00–17:30', '南岸社区第1网格 · 白班<']) expect(absent).toContain(s);
    expect(absent).not.toContain('<b>王芳</b>');
    expect(absent).not.toContain('未定位');
    const silent = dueRowHtml(member({ presence: 'unreachable', shift: '', start: '22:00', end: '06:00', fix_age_s: 35 * 60 }));
    for (const s of ['>失联<', '22:00–次日06:00', '南岸社区第1网格 · 35 分钟未定位<']) expect(silent).toContain(s);
    const en = dueRowHtml(member({ presence: 'unreachable', fix_age_s: null, grid_name: '' }), 'en');
    for (const s of ['>Unreachable<', '330302001001001 · 白班 · never located<']) expect(en).toContain(s);
  });
  it('shows the counts and the missing, 暂无排班 when nobody is due, and says when all are present', () => {
    const html = rosterPanelHtml(view([member({ presence: 'absent', staff_id: 'S7' }), member({ presence: 'unreachable' }), member({ staff_id: 'S8' })]));
    for (const s of ['排班 · 应到未到', 'data-testid="roster-missing">2<', '>应到</span> <span class="v" data-testid="roster-due">3<', 'data-testid="roster-present">1<', 'data-testid="roster-unreachable">1<', 'data-testid="roster-absent">1<']) {
      expect(html).toContain(s);
    }
    expect(html.match(/data-testid="roster-item"/g)).toHaveLength(2);
    expect(html).not.toContain('data-staff="S8"');
    expect(rosterPanelHtml(view([]))).toContain('data-testid="roster-empty">暂无排班<');
    expect(rosterPanelHtml(view([]))).toContain('data-testid="roster-missing"></span>');
    expect(rosterPanelHtml(view([member()]))).toContain('应到人员均已在岗');
    expect(rosterPanelHtml(view([]), 'en')).toContain('>No shifts<');
    const en = rosterPanelHtml(view([member({ presence: 'absent' })]), 'en');
    for (const s of ['Roster · due but absent', '>Due<', '>Present<', '>Unreachable<', '>Absent<']) expect(en).toContain(s);
    const many = Array.from({ length: MAX_LISTED + 3 }, (_, i) => member({ staff_id: `S${1000 + i}`, presence: 'absent' }));
    const long = rosterPanelHtml(view(many));
    expect(long.match(/data-testid="roster-item"/g)).toHaveLength(MAX_LISTED);
    expect(long).toContain('另有 3 人未列出');
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});

/** A stand-in for the panel's section. */
function fakeEl() {
  const clicks: ((ev: Event) => void)[] = [];
  return { hidden: true, innerHTML: '', addEventListener: (_: string, f: (ev: Event) => void) => clicks.push(f), clicks };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('the 应到未到 panel', () => {
  const map = { flyTo: vi.fn(), fitBounds: vi.fn(), getZoom: () => 12 };
  const host = { position: () => null, gridBBox: () => null };

  it('reads the drilled area, again on a new area and every 30 s; hidden until the first answer', async () => {
    vi.useFakeTimers();
    const asked: unknown[] = [];
    let answer = view([member({ presence: 'absent' })]);
    const api = { get: async (path: string, params: unknown) => (asked.push([path, params]), answer) } as unknown as Api;
    const el = fakeEl();
    const panel = new RosterPanel(el as unknown as HTMLElement, api, map, host);
    expect(el.hidden).toBe(true);
    panel.setScope('3303');
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toEqual([['/api/roster/due', { area: '3303' }]]);
    expect(el.hidden).toBe(false);
    expect(el.innerHTML).toContain('data-presence="absent"');
    panel.setScope('3303'); // the same area: not read again
    await vi.advanceTimersByTimeAsync(0);
    expect(asked).toHaveLength(1);
    answer = view([]);
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(asked).toHaveLength(2);
    expect(el.innerHTML).toContain('暂无排班');
    panel.setScope('330302');
    await vi.advanceTimersByTimeAsync(0);
    expect(asked.at(-1)).toEqual(['/api/roster/due', { area: '330302' }]);
    // The new area's read restarted the clock: one read per 30 s.
    await vi.advanceTimersByTimeAsync(POLL_MS - 1);
    expect(asked).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(asked).toHaveLength(4);
    expect(panel.loads).toBe(4);
  });
  it('stays hidden and quiet for a login the roster is refused to (403), keeps what it showed on a failure of the moment', async () => {
    vi.useFakeTimers();
    let refusal: unknown = null;
    let reads = 0;
    const api = { get: async () => (reads++, refusal ? Promise.reject(refusal) : view([member({ presence: 'absent' })])) } as unknown as Api;
    const el = fakeEl();
    const panel = new RosterPanel(el as unknown as HTMLElement, api, map, host);
    panel.setScope('3303');
    await vi.advanceTimersByTimeAsync(0);
    expect(el.hidden).toBe(false);
    refusal = new Error('offline');
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect([el.hidden, el.innerHTML.includes('data-presence="absent"')]).toEqual([false, true]);
    refusal = new ApiError(400, 'bad_request', 'no area X');
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect(el.hidden).toBe(true);
    refusal = new ApiError(403, 'forbidden', 'the roster is for the command centre');
    await vi.advanceTimersByTimeAsync(POLL_MS);
    expect([el.hidden, el.innerHTML, panel.unavailable]).toEqual([true, '', true]);
    const before = reads;
    await vi.advanceTimersByTimeAsync(POLL_MS * 3);
    panel.setScope('330302');
    await vi.advanceTimersByTimeAsync(0);
    expect(reads).toBe(before);
  });
  it('flies to a person clicked: the live dot, else the last position the server has, else the grid', async () => {
    const flyTo = vi.fn();
    const fitBounds = vi.fn();
    const staff: Record<string, unknown> = { S2: { lon: 120.6, lat: 28.0 }, S3: { lon: null, lat: null } };
    const api = {
      get: async (path: string) => (path.startsWith('/api/staff/') ? staff[decodeURIComponent(path.slice(11))] : view([])),
    } as unknown as Api;
    const el = fakeEl();
    new RosterPanel(el as unknown as HTMLElement, api, { flyTo, fitBounds, getZoom: () => 18 }, {
      position: (id) => (id === 'S1' ? { lon: 120.7, lat: 28.1 } : null),
      gridBBox: (code) => (code === 'G3' ? [120, 28, 120.01, 28.01] : null),
    });
    const click = async (staffId: string, grid: string) => {
      const target = { closest: () => ({ dataset: { staff: staffId, grid } }) };
      el.clicks[0]!({ target } as unknown as Event);
      await flush();
    };
    await click('S1', 'G1');
    expect(flyTo).toHaveBeenLastCalledWith({ center: [120.7, 28.1], zoom: 18 });
    await click('S2', 'G2');
    expect(flyTo).toHaveBeenLastCalledWith({ center: [120.6, 28.0], zoom: 18 });
    await click('S3', 'G3');
    expect(fitBounds).toHaveBeenCalledWith([120, 28, 120.01, 28.01], expect.objectContaining({ maxZoom: 17 }));
    expect(flyTo).toHaveBeenCalledTimes(2);
  });
});
