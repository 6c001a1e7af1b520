import { afterEach, describe, expect, it } from 'vitest';
import { setLang } from '../shared/i18n';
import { KEEP, loadMine, remember, saveMine } from './myReports';
import { checkPhone } from './phone';
import { MAX_BYTES, refusal } from './photos';
import { problemOf } from './problem';
import { errorOf, PublicError } from './publicApi';
import { parseRoute, statusPath } from './route';
import { missingEnglish, rt } from './strings';
import { FLOW, statusLabel, stepLabel, timelineRows } from './timeline';

afterEach(() => setLang('zh'));

describe('phone numbers', () => {
  it('takes an 11-digit mainland mobile number, written the usual ways', () => {
    expect(checkPhone('13800138000')).toEqual({ ok: true, phone: '13800138000' });
    expect(checkPhone(' 138 0013 8000 ')).toEqual({ ok: true, phone: '13800138000' });
    expect(checkPhone('138-0013-8000')).toEqual({ ok: true, phone: '13800138000' });
    expect(checkPhone('+86 19912345678')).toEqual({ ok: true, phone: '19912345678' });
  });
  it('leaves it out when empty', () => {
    expect(checkPhone('')).toEqual({ ok: true, phone: null });
    expect(checkPhone('   ')).toEqual({ ok: true, phone: null });
  });
  it('says what is wrong', () => {
    expect(checkPhone('1380013800')).toEqual({ ok: false, problem: 'digits' });
    expect(checkPhone('138001380001')).toEqual({ ok: false, problem: 'digits' });
    expect(checkPhone('12800138000')).toEqual({ ok: false, problem: 'prefix' });
    expect(checkPhone('05778888888')).toEqual({ ok: false, problem: 'prefix' });
    expect(checkPhone('138OO138000')).toEqual({ ok: false, problem: 'chars' });
    expect(rt('phone.digits')).toContain('11 位');
    setLang('en');
    expect(rt('phone.digits')).toContain('11 digits');
  });
});

describe('routes', () => {
  it('tells a new report from a status page', () => {
    expect(parseRoute('/report')).toEqual({ view: 'new' });
    expect(parseRoute('/report/')).toEqual({ view: 'new' });
    expect(parseRoute('/report.html')).toEqual({ view: 'new' });
    expect(parseRoute('/report/ABCDEFGH23')).toEqual({ view: 'status', code: 'ABCDEFGH23', valid: true });
    expect(parseRoute('/report/ABCDEFGH23/')).toEqual({ view: 'status', code: 'ABCDEFGH23', valid: true });
  });
  it('forgives lower case and flags what cannot be a code', () => {
    expect(parseRoute('/report/abcdefgh23')).toEqual({ view: 'status', code: 'ABCDEFGH23', valid: true });
    // A 0 or a 1 is never in a code; nor is a short one.
    expect(parseRoute('/report/ABCDEFGH01')).toMatchObject({ view: 'status', valid: false });
    expect(parseRoute('/report/ABC')).toMatchObject({ view: 'status', valid: false });
    expect(parseRoute('/report/%E0%A4%A')).toMatchObject({ view: 'status', valid: false });
    expect(statusPath('ABCDEFGH23')).toBe('/report/ABCDEFGH23');
  });
});

describe('the timeline', () => {
  it('shows the steps taken with their times, then those to come', () => {
    const rows = timelineRows({ timeline: [{ at_ms: 2000, step: 'accepted' }, { at_ms: 1000, step: 'received' }] });
    expect(rows.map((r) => r.step)).toEqual(FLOW);
    expect(rows.map((r) => r.at_ms)).toEqual([1000, 2000, null, null, null, null]);
    expect(rows.filter((r) => r.current).map((r) => r.step)).toEqual(['accepted']);
  });
  it('ends at closed, rejected or merged', () => {
    expect(timelineRows({ timeline: [{ at_ms: 1, step: 'received' }, { at_ms: 2, step: 'rejected' }] }).map((r) => r.step)).toEqual(['received', 'rejected']);
    expect(timelineRows({ timeline: [{ at_ms: 1, step: 'received' }, { at_ms: 2, step: 'merged' }] })).toHaveLength(2);
    const all = FLOW.map((step, i) => ({ at_ms: i, step }));
    expect(timelineRows({ timeline: all }).every((r) => r.at_ms !== null)).toBe(true);
    const rated = timelineRows({ timeline: [...all, { at_ms: 9, step: 'rated' as const }] });
    expect(rated.map((r) => r.step)).toEqual([...FLOW, 'rated']);
    expect(rated.every((r) => r.at_ms !== null)).toBe(true);
  });
  it('counts the furthest step when one comes twice (sent back for more work)', () => {
    const rows = timelineRows({
      timeline: [
        { at_ms: 1, step: 'received' }, { at_ms: 2, step: 'accepted' }, { at_ms: 3, step: 'dispatched' },
        { at_ms: 4, step: 'handled' }, { at_ms: 5, step: 'dispatched' },
      ],
    });
    expect(rows.filter((r) => r.at_ms === null).map((r) => r.step)).toEqual(['closed']);
    expect(rows.find((r) => r.current)?.at_ms).toBe(5);
  });
  it('names every step and status in both languages', () => {
    expect(stepLabel('received')).toBe('提交上报');
    expect(stepLabel('merged')).toContain('合并');
    expect(stepLabel('rated')).toBe('已评价');
    expect(statusLabel('closed')).toBe('已办结');
    setLang('en');
    expect(['received', 'accepted', 'dispatched', 'handling', 'handled', 'closed', 'rejected', 'merged'].map((s) => stepLabel(s as never))).toEqual([
      'Received', 'Accepted', 'Sent to a team', 'Work started', 'Work done', 'Closed', 'Not accepted', 'Merged with another report of the same problem',
    ]);
    expect(statusLabel('received')).toBe('Received, awaiting review');
  });
  it('has every label in English', () => {
    expect(missingEnglish()).toEqual([]);
  });
});

describe('errors in plain words', () => {
  it('reads the server body and the wait of a 429', () => {
    const e = errorOf(429, '{"error":"too many reports from this address"}', '42');
    expect(e).toMatchObject({ status: 429, message: 'too many reports from this address', retryAfterS: 42 });
    expect(problemOf(e).text).toBe('操作太频繁，请在 42 秒后再试');
    expect(problemOf(e).detail).toBe('too many reports from this address');
    setLang('en');
    expect(problemOf(e).text).toBe('Too many tries: please wait 42 seconds and try again');
  });
  it('words each kind of refusal', () => {
    expect(problemOf(new PublicError(0, 'TypeError: Failed to fetch')).text).toContain('网络');
    expect(problemOf(new PublicError(0, 'x')).detail).toBeNull();
    expect(problemOf(errorOf(413, '{"error":"too large"}', null)).text).toContain('8 MB');
    expect(problemOf(errorOf(415, '{"error":"not an image"}', null)).text).toContain('JPEG');
    expect(problemOf(errorOf(400, 'oops', null))).toEqual({ text: '提交的内容有误，请检查后重试', detail: 'oops' });
    expect(problemOf(errorOf(502, '', null)).text).toContain('服务器');
  });
  it('turns away photos the server would refuse', () => {
    expect(refusal({ type: 'image/png', size: 1000 })).toBeNull();
    expect(refusal({ type: 'image/gif', size: 1000 })).toBe('photos.bad_type');
    expect(refusal({ type: 'image/jpeg', size: MAX_BYTES + 1 })).toBe('photos.too_big');
  });
});

describe('my reports', () => {
  it('keeps codes newest first, once each, at most KEEP', () => {
    let list = remember([], { code: 'AAAAAAAAAA', at_ms: 1, category: '0101' });
    list = remember(list, { code: 'BBBBBBBBBB', at_ms: 2, category: '0101' });
    list = remember(list, { code: 'AAAAAAAAAA', at_ms: 3, category: '0102' });
    expect(list.map((r) => r.code)).toEqual(['AAAAAAAAAA', 'BBBBBBBBBB']);
    for (let i = 0; i < 30; i++) list = remember(list, { code: `C${String(i).padStart(9, '2')}`, at_ms: i, category: 'x' });
    expect(list).toHaveLength(KEEP);
  });
  it('survives a broken or missing store', () => {
    const mem = new Map<string, string>();
    const store = { getItem: (k: string) => mem.get(k) ?? null, setItem: (k: string, v: string) => void mem.set(k, v) };
    saveMine([{ code: 'AAAAAAAAAA', at_ms: 1, category: '0101' }], store);
    expect(loadMine(store)).toHaveLength(1);
    mem.set('riskmap.report.mine', '{not json');
    expect(loadMine(store)).toEqual([]);
    expect(loadMine(null)).toEqual([]);
  });
});
