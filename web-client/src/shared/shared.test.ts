import { describe, expect, it, vi } from 'vitest';
import { errorFrom, queryString } from './api';
import { backoffDelay } from './backoff';
import {
  esc,
  formatClock,
  formatDateTime,
  formatDayAndTime,
  formatDistance,
  formatDuration,
  formatFixAge,
  formatPercent,
  formatTimeOfDay,
  fromDateTimeLocal,
  localDate,
  setCityOffset,
  startOfDay,
  toDateTimeLocal,
} from './format';
import { FlushGroup, FrameBatcher, IntervalBatcher } from './frame';
import { bboxOf, destination, haversine, padBBox, pointInGeometry, viewCone } from './geo';
import { missingTranslations, t } from './i18n';
import { wsUrl } from './live';

describe('backoff', () => {
  it('grows exponentially, is jittered within [ceiling/2, ceiling], and is capped', () => {
    expect(backoffDelay(0, 0)).toBe(250);
    expect(backoffDelay(0, 0.999)).toBeLessThanOrEqual(500);
    expect(backoffDelay(3, 0)).toBe(2000);
    expect(backoffDelay(50, 0.999)).toBeLessThanOrEqual(15_000);
    expect(backoffDelay(50, 0)).toBe(7500);
  });
});

describe('api helpers', () => {
  it('builds query strings without empty values, escaping the rest', () => {
    expect(queryString({ area: '330302', open: true, x: undefined, y: null, z: '' })).toBe('?area=330302&open=true');
    expect(queryString({ q: 'a b&c' })).toBe('?q=a%20b%26c');
    expect(queryString({})).toBe('');
  });
  it("reads the server's error body, with the allowed actions of a 409", () => {
    const e = errorFrom(409, JSON.stringify({ error: 'conflict', message: 'cannot sign', allowed: ['dispatch'] }));
    expect([e.status, e.code, e.message, e.allowed]).toEqual([409, 'conflict', 'cannot sign', ['dispatch']]);
    expect(errorFrom(502, '<html>').code).toBe('http_502');
    expect(errorFrom(409, JSON.stringify({ error: 'conflict', message: 'S1 is busy', allowed: [], state: 'busy' })).state).toBe('busy');
    expect(errorFrom(409, JSON.stringify({ error: 'conflict', message: 'stale version' })).state).toBeNull();
  });
  it('derives the /ws address from the page', () => {
    expect(wsUrl({ protocol: 'https:', host: 'screen.gov.cn' }, 'a b')).toBe('wss://screen.gov.cn/ws?token=a%20b');
    expect(wsUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, 't')).toBe('ws://127.0.0.1:8080/ws?token=t');
  });
});

describe('formatting', () => {
  it('formats distances, rates and durations', () => {
    expect(formatDistance(312.4)).toBe('312 m');
    expect(formatDistance(1234)).toBe('1.2 km');
    expect(formatDistance(23_456)).toBe('23 km');
    expect(formatPercent(0.9286)).toBe('92.9%');
    expect(formatPercent(null)).toBe('—');
    expect(formatDuration(125 * 60_000, 'zh')).toBe('2小时5分');
    expect(formatDuration(-(26 * 60 + 5) * 60_000, 'en')).toBe('1d 2h');
    expect(formatDuration(5 * 60_000, 'en')).toBe('5m');
  });
  it('says how old a position is, rounded down, in either language', () => {
    expect(formatFixAge(0, 'zh')).toBe('刚刚定位');
    expect(formatFixAge(59.9, 'zh')).toBe('刚刚定位');
    expect(formatFixAge(119, 'zh')).toBe('1 分钟前定位');
    expect(formatFixAge(3599, 'zh')).toBe('59 分钟前定位');
    expect(formatFixAge(3600, 'zh')).toBe('1 小时前定位');
    expect(formatFixAge(86_400 * 336, 'zh')).toBe('336 天前定位');
    expect(formatFixAge(-5, 'zh')).toBe('刚刚定位'); // a phone clock running ahead
    expect(formatFixAge(30, 'en')).toBe('fix just now');
    expect(formatFixAge(150, 'en')).toBe('fix 2 min ago');
    expect(formatFixAge(7200, 'en')).toBe('fix 2 h ago');
    expect(formatFixAge(86_400, 'en')).toBe('fix 1 day ago');
    expect(formatFixAge(3 * 86_400, 'en')).toBe('fix 3 days ago');
  });
  it('escapes markup', () => {
    expect(esc('<b a="1">&\'')).toBe('&lt;b a=&quot;1&quot;&gt;&amp;&#39;');
    expect(esc(null)).toBe('');
  });
  it("finds the start of the city's day", () => {
    const noon = Date.UTC(2026, 10, 23, 4, 30); // 12:30 in the city (UTC+8)
    expect(startOfDay(noon)).toBe(Date.UTC(2026, 10, 22, 16, 0));
    // 01:00 in the city is the evening before in UTC: the city's day still.
    expect(startOfDay(Date.UTC(2026, 10, 22, 17, 0))).toBe(Date.UTC(2026, 10, 22, 16, 0));
  });
  it("shows and reads times in the city's time, whatever the browser's zone", () => {
    const t = Date.UTC(2026, 11, 7, 1, 2, 3); // 09:02:03 in Wenzhou
    expect([formatClock(t), formatTimeOfDay(t), formatDateTime(t), localDate(t)]).toEqual(['09:02:03', '09:02', '12-07 09:02', '2026-12-07']);
    expect(formatDayAndTime(Date.UTC(2026, 11, 7, 17, 0))).toBe('2026-12-08 01:00');
    expect(toDateTimeLocal(t)).toBe('2026-12-07T09:02');
    expect(fromDateTimeLocal('2026-12-07T09:02')).toBe(Date.UTC(2026, 11, 7, 1, 2));
    expect(fromDateTimeLocal('2026-12-07T09:02:30')).toBe(Date.UTC(2026, 11, 7, 1, 2, 30));
    expect(fromDateTimeLocal('')).toBeNaN();
    expect(fromDateTimeLocal('yesterday')).toBeNaN();
    // Another city's calendar: London's.
    setCityOffset(0);
    try {
      expect([formatClock(t), startOfDay(t)]).toEqual(['01:02:03', Date.UTC(2026, 11, 7)]);
      for (const bad of [900, 1.5, '60', null]) setCityOffset(bad);
      expect(formatClock(t)).toBe('01:02:03');
    } finally {
      setCityOffset(480);
    }
    expect(formatClock(t)).toBe('09:02:03');
  });
});

describe('geometry', () => {
  it('measures great-circle metres', () => {
    // one degree of latitude ≈ 111.2 km
    expect(haversine([120, 28], [120, 29])).toBeCloseTo(111_195, -1);
  });
  it('walks a bearing and distance and comes back the same distance', () => {
    const p = destination([120.66, 28.01], 90, 500);
    expect(p[1]).toBeCloseTo(28.01, 4);
    expect(p[0]).toBeGreaterThan(120.66);
    expect(haversine([120.66, 28.01], p)).toBeCloseTo(500, 3);
  });
  it('draws a camera cone within its range and field of view, and a dome as a circle', () => {
    const at: [number, number] = [120.66, 28.01];
    const cone = viewCone(at, 90, 60, 100, 8);
    expect(cone[0]).toEqual(at);
    expect(cone[cone.length - 1]).toEqual(at);
    for (const p of cone.slice(1, -1)) expect(haversine(at, p)).toBeCloseTo(100, 3);
    // all arc points lie east of the camera (heading 90 ± 30)
    for (const p of cone.slice(1, -1)) expect(p[0]).toBeGreaterThan(at[0]);
    const dome = viewCone(at, null, null, 50, 8);
    expect(dome.length).toBe(17);
    expect(dome[0]).toEqual(dome[16]);
    expect(pointInGeometry([at[0], at[1] + 0.0001], { type: 'Polygon', coordinates: [dome] })).toBe(true);
  });
  it('tests points against polygons with holes', () => {
    const outer: [number, number][] = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]];
    const hole: [number, number][] = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]];
    const g = { type: 'MultiPolygon' as const, coordinates: [[outer, hole]] };
    expect(pointInGeometry([1, 1], g)).toBe(true);
    expect(pointInGeometry([5, 5], g)).toBe(false);
    expect(pointInGeometry([11, 5], g)).toBe(false);
    expect(bboxOf(g)).toEqual([0, 0, 10, 10]);
    expect(padBBox([0, 0, 10, 10], 0.1)).toEqual([-1, -1, 11, 11]);
  });
});

describe('frame batching', () => {
  it('flushes once per frame however many updates arrive', () => {
    const frames: (() => void)[] = [];
    let flushed = 0;
    const b = new FrameBatcher(() => flushed++, (f) => frames.push(f));
    for (let i = 0; i < 100; i++) b.request();
    expect(frames.length).toBe(1);
    frames.shift()!();
    expect(flushed).toBe(1);
    b.request();
    expect(frames.length).toBe(1);
  });

  it('flushes at once after a quiet interval, then once at the end of the next', () => {
    vi.useFakeTimers();
    try {
      let clock = 0;
      let flushed = 0;
      const b = new IntervalBatcher(() => flushed++, 1000, () => clock);
      b.request();
      expect(flushed).toBe(1);
      clock = 200;
      for (let i = 0; i < 50; i++) b.request();
      expect(flushed).toBe(1);
      clock = 1000;
      vi.advanceTimersByTime(800);
      expect(flushed).toBe(2);
      // Quiet for longer than the interval: the next request is written at once.
      clock = 2500;
      b.request();
      expect(flushed).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('flushes an urgent request at once, and asks a changing interval anew', () => {
    vi.useFakeTimers();
    try {
      let clock = 0;
      let flushed = 0;
      let interval = 1000;
      const b = new IntervalBatcher(() => flushed++, () => interval, () => clock);
      b.request();
      clock = 100;
      b.request();
      expect(flushed).toBe(1);
      b.request(true); // the pending flush goes now, and only once
      expect(flushed).toBe(2);
      vi.advanceTimersByTime(5000);
      expect(flushed).toBe(2);
      interval = 3000; // the map got slower
      clock = 1500;
      b.request();
      expect(flushed).toBe(2);
      clock = 3100;
      vi.advanceTimersByTime(1600);
      expect(flushed).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it("takes a group's pending flushes that have waited half their interval with the one that flushes, once each", () => {
    vi.useFakeTimers();
    try {
      let clock = 0;
      const flushed: string[] = [];
      const group = new FlushGroup();
      const staff = group.join(new IntervalBatcher(() => flushed.push(`staff@${clock}`), 2000, () => clock));
      const alerts = group.join(new IntervalBatcher(() => flushed.push(`alerts@${clock}`), 5000, () => clock));
      const alone = new IntervalBatcher(() => flushed.push(`alone@${clock}`), 5000, () => clock);
      for (const b of [staff, alerts, alone]) b.request();
      expect(flushed).toEqual(['staff@0', 'alerts@0', 'alone@0']);
      flushed.length = 0;
      clock = 100;
      for (const b of [staff, alerts, alone]) b.request(); // due at 2000, 5000, 5000
      clock = 2000;
      vi.advanceTimersByTime(1900);
      // the alerts had waited 2000 of their 5000 ms: not yet
      expect(flushed).toEqual(['staff@2000']);
      staff.request();
      clock = 4000;
      vi.advanceTimersByTime(2000);
      // 4000 of 5000: taken with the staff's write; the batcher outside the group keeps its time
      expect(flushed).toEqual(['staff@2000', 'staff@4000', 'alerts@4000']);
      clock = 5000;
      vi.advanceTimersByTime(1000);
      expect(flushed).toEqual(['staff@2000', 'staff@4000', 'alerts@4000', 'alone@5000']);
      // nothing pending: nothing taken along
      staff.request(true);
      expect(flushed.slice(4)).toEqual(['staff@5000']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('brings a pending flush forward for a request with a shorter interval, never back', () => {
    vi.useFakeTimers();
    try {
      let clock = 0;
      const flushed: number[] = [];
      const b = new IntervalBatcher(() => flushed.push(clock), 2000, () => clock);
      b.request();
      clock = 100;
      b.request(); // paced: due at 2000
      b.request(false, 500); // a look changed: due at 500
      clock = 500;
      vi.advanceTimersByTime(400);
      expect(flushed).toEqual([0, 500]);
      clock = 600;
      b.request(false, 300); // due at 800
      b.request(); // a longer interval does not put it off
      clock = 800;
      vi.advanceTimersByTime(200);
      expect(flushed).toEqual([0, 500, 800]);
      vi.advanceTimersByTime(5000);
      expect(flushed).toEqual([0, 500, 800]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('i18n', () => {
  it('has an English label for every Chinese one', () => {
    expect(missingTranslations()).toEqual([]);
    expect(t('state.in_progress', 'zh')).toBe('处置中');
    expect(t('state.in_progress', 'en')).toBe('In progress');
    expect(t('no.such.key', 'en')).toBe('no.such.key');
  });
});

describe('error messages', () => {
  it('says what went wrong in the page language, never the server text', async () => {
    const { ApiError } = await import('./api');
    const { errorMessage } = await import('./errors');
    const { setLang } = await import('./i18n');
    setLang('zh');
    expect(errorMessage(new ApiError(401, 'unauthorized', 'wrong username or password'), 'login')).toBe('用户名或密码错误');
    const wait = errorMessage(new ApiError(429, 'too_many_requests', 'too many', [], 30), 'login', Date.UTC(2026, 0, 1, 0, 0, 0));
    expect(wait).toContain('30 秒后');
    expect(errorMessage(new ApiError(400, 'bad_request', '120.1,28.1 lies in no grid of the city'), 'report')).toBe('该位置不在本市任何网格内，无法上报');
    expect(errorMessage(new TypeError('Failed to fetch'), 'action')).toBe('网络连接失败，请检查网络后重试');
    setLang('en');
    expect(errorMessage(new ApiError(409, 'conflict', 'cannot sign'), 'action')).toMatch(/^The incident has changed/);
    setLang('zh');
  });
  it('says why a check-in or check-out was refused: the task or the SOS that owns the status', async () => {
    const { ApiError } = await import('./api');
    const { errorMessage } = await import('./errors');
    const { setLang } = await import('./i18n');
    setLang('zh');
    const busy = new ApiError(409, 'conflict', 'S1 is busy: that ends with their task or emergency, not here', [], null, 'busy');
    expect(errorMessage(busy, 'duty')).toBe('您正在处理任务，不能上岗或下岗：任务办结后自动恢复在岗');
    expect(errorMessage(new ApiError(409, 'conflict', 'S1 is in an SOS', [], null, 'sos'), 'duty')).toContain('求助');
    expect(errorMessage(new ApiError(400, 'bad_request', 'fix 0: lat out of range'), 'duty')).toContain('位置未被服务器接受');
    expect(errorMessage(new ApiError(403, 'forbidden', 'a big screen changes nothing'), 'duty')).toBe('您无权更改该人员的在岗状态');
    // the same 409 elsewhere is still the incident's
    expect(errorMessage(busy, 'action')).toContain('事件状态已变化');
    setLang('en');
    expect(errorMessage(busy, 'duty')).toBe('You are on a task and cannot check in or out: finishing it puts you back on duty');
    setLang('zh');
  });
});
