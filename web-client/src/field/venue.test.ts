import { describe, expect, it } from 'vitest';
import { ApiError, errorFrom } from '../shared/api';
import { setLang } from '../shared/i18n';
import type { Inspection } from '../shared/venueTypes';
import {
  checklistPayload,
  DEFAULT_CHECKLIST,
  extractVenueCode,
  freshChecklist,
  freshDraft,
  freshFix,
  parseVenueCode,
  problemCount,
  scanBody,
  urlWithoutVenue,
  venueParam,
} from './venueCode';
import { venueRefusal } from './venueErrors';
import { positionText, venueDoneHtml, venueFormHtml } from './venueView';

const SIG = 'AbCdEfGhIjKlMnOpQrSt-_';
const CODE = `K0001.${SIG}`;
const at = { lon: 120.65, lat: 28.01, t: 1_000_000, accuracy: 8.26 };
const refusal = (status: number, message: string, state?: string) => errorFrom(status, JSON.stringify({ error: 'x', message, ...(state ? { state } : {}) }));

describe('场所码: the code in what was scanned or typed', () => {
  it('takes the code out of the printed link, or the code itself', () => {
    expect(extractVenueCode(`http://10.1.2.3:8080/field?venue=${CODE}`)).toBe(CODE);
    expect(extractVenueCode(`https://grid.gov.cn/field?lang=zh&venue=${CODE}&x=1#top`)).toBe(CODE);
    expect(extractVenueCode(`/field?venue=${encodeURIComponent('社区.K1')}.${SIG}`)).toBe(`社区.K1.${SIG}`);
    expect(extractVenueCode(`  ${CODE}\n`)).toBe(CODE);
    // Typed from the print, broken over two lines.
    expect(extractVenueCode(`K0001.AbCdEfGhIjK\nlMnOpQrSt-_`)).toBe(CODE);
    expect(extractVenueCode('   ')).toBe('');
    expect(extractVenueCode('/field?venue=%E0%A4%A')).toBe('%E0%A4%A');
  });
  it('says when a text cannot be a code, before anything is sent', () => {
    expect(parseVenueCode(CODE)).toEqual({ code: CODE });
    expect(parseVenueCode(`http://h/field?venue=${CODE}`)).toEqual({ code: CODE });
    // A place id may hold dots: the signature is after the last one.
    expect(parseVenueCode(`a.b.${SIG}`)).toEqual({ code: `a.b.${SIG}` });
    expect(parseVenueCode('')).toEqual({ problem: 'empty' });
    expect(parseVenueCode('http://h/field?venue=')).toEqual({ problem: 'empty' });
    expect(parseVenueCode('K0001')).toEqual({ problem: 'not_code' });
    expect(parseVenueCode(`.${SIG}`)).toEqual({ problem: 'not_code' });
    expect(parseVenueCode('K0001.short')).toEqual({ problem: 'not_code' });
    expect(parseVenueCode(`K0001.${SIG.slice(0, 21)}=`)).toEqual({ problem: 'not_code' });
    expect(parseVenueCode('https://weixin.qq.com/r/abc')).toEqual({ problem: 'not_code' });
    expect(parseVenueCode(`${'K'.repeat(190)}.${SIG}`)).toEqual({ problem: 'not_code' });
  });
  it("reads the page's own ?venue= and drops it from the address", () => {
    expect(venueParam(`?venue=${CODE}`)).toBe(CODE);
    expect(venueParam(`?a=1&venue=${encodeURIComponent(CODE)}&b=2`)).toBe(CODE);
    expect(venueParam('?venue=')).toBeNull();
    expect(venueParam('?a=1')).toBeNull();
    expect(venueParam('')).toBeNull();
    expect(urlWithoutVenue(`http://h:8080/field?venue=${CODE}`)).toBe('/field');
    expect(urlWithoutVenue(`http://h/field?basemap=x&venue=${CODE}#tasks`)).toBe('/field?basemap=x#tasks');
  });
});

describe('场所检查: the checklist and the request', () => {
  it('starts with every default item 合格, each kept in Chinese for the record', () => {
    const list = freshChecklist();
    expect(list.map((c) => c.item)).toEqual(['消防通道畅通', '灭火器有效', '无违规住人/群租', '电气线路安全', '无易燃物堆放']);
    expect(list.every((c) => c.ok && c.note === '')).toBe(true);
    expect(new Set(DEFAULT_CHECKLIST.map((c) => c.key)).size).toBe(DEFAULT_CHECKLIST.length);
  });
  it('sends a note only with a 不合格 item that has one', () => {
    const list = freshChecklist();
    list[0]!.ok = false;
    list[0]!.note = '  堆放杂物  ';
    list[1]!.ok = false;
    list[2]!.note = 'left over from before';
    expect(checklistPayload(list).slice(0, 3)).toEqual([
      { item: '消防通道畅通', ok: false, note: '堆放杂物' },
      { item: '灭火器有效', ok: false },
      { item: '无违规住人/群租', ok: true },
    ]);
    expect(problemCount(list)).toBe(2);
  });
  it('builds the scan: the position with its accuracy, note and photos only when there are some', () => {
    const d = freshDraft(CODE);
    d.checklist[3]!.ok = false;
    const body = scanBody(d, CODE, at, []);
    expect(body).toEqual({
      code: CODE,
      position: { lon: 120.65, lat: 28.01, accuracy_m: 8.3 },
      kind: 'inspection',
      checklist: checklistPayload(d.checklist),
    });
    expect(body.checklist.filter((c) => !c.ok)).toEqual([{ item: '电气线路安全', ok: false }]);
    const photo = 'a'.repeat(64);
    expect(scanBody({ ...d, note: ' 已整改 ' }, CODE, { ...at, accuracy: null }, [photo])).toMatchObject({ position: { lon: 120.65, lat: 28.01 }, note: '已整改', photos: [photo] });
    expect(scanBody(d, CODE, { ...at, accuracy: null }, []).position).not.toHaveProperty('accuracy_m');
  });
  it('keeps no checklist for 打卡', () => {
    const d = { ...freshDraft(CODE), kind: 'check_in' as const };
    d.checklist[0]!.ok = false;
    expect(scanBody(d, CODE, at, [])).toEqual({ code: CODE, position: { lon: 120.65, lat: 28.01, accuracy_m: 8.3 }, kind: 'check_in', checklist: [] });
  });
  it('uses the shared position only while it is recent', () => {
    expect(freshFix(at, at.t + 5_000)).toBe(at);
    expect(freshFix(at, at.t + 31_000)).toBeNull();
    expect(freshFix(null, 0)).toBeNull();
    expect(freshFix({ ...at, lon: Number.NaN }, at.t)).toBeNull();
  });
});

describe('场所检查: refusals in words', () => {
  it('says a forged code, a malformed one and a wrong login plainly', () => {
    setLang('zh');
    const forged = refusal(403, 'this venue code (场所码) was not issued by this server');
    expect(venueRefusal(forged)).toContain('不是本系统签发的');
    expect(venueRefusal(refusal(400, 'not a venue code (场所码): expected PLACE.SIGNATURE'))).toContain('这不是场所码');
    expect(venueRefusal(refusal(403, "venue codes are scanned by a field worker's login"))).toBe('只有绑定了人员的网格员账号可以扫场所码');
    expect(venueRefusal(refusal(403, '实验小学 is outside your area'))).toBe('“实验小学”不在您的管辖范围内');
    expect(venueRefusal(refusal(404, 'no key place K9'))).toContain('已不存在');
    setLang('en');
    expect(venueRefusal(forged)).toContain('was not issued by this server');
    setLang('zh');
  });
  it('says how far and how rough, with the figures', () => {
    setLang('zh');
    const far = refusal(409, 'you are 523 m from 实验小学; scan its code within 100 m of it', 'too_far');
    expect(venueRefusal(far)).toBe('您距离“实验小学”约 523 米：请到场所 100 米范围内再扫码');
    expect(venueRefusal(refusal(409, 'too far', 'too_far'))).toBe('您离场所太远：请到场所现场再扫码');
    const rough = refusal(400, 'the position is too rough (±300 m) to place you at 实验小学; wait for a better fix (±100 m or better)');
    expect(venueRefusal(rough)).toContain('±300 米');
    expect(venueRefusal(rough)).toContain('±100 米');
    setLang('en');
    expect(venueRefusal(far)).toBe('You are 523 m from 实验小学: scan its code within 100 m of it');
    setLang('zh');
  });
  it("falls back to the status's sentence, with the server's detail for a bad report", () => {
    setLang('zh');
    expect(venueRefusal(refusal(400, 'at most 50 checklist items'))).toBe('提交的内容有误，请检查后重试：at most 50 checklist items');
    expect(venueRefusal(new TypeError('Failed to fetch'))).toBe('网络连接失败，请检查网络后重试');
    expect(venueRefusal(new ApiError(503, 'unavailable', 'x'))).toBe('服务暂时不可用，请稍后重试');
  });
});

describe('场所检查: the sheet', () => {
  const done: Inspection = {
    id: 'INS-1', place_id: 'K0001', place_name: '实验小学', place_category: '学校', grid: 'G1', kind: 'inspection', staff_id: 'S1', staff_name: '张三',
    at_ms: Date.UTC(2026, 0, 5, 2, 3), position: { lon: 120, lat: 28 }, distance_m: 12.4,
    checklist: [{ item: '消防通道畅通', ok: false, note: '堆放杂物' }, { item: '灭火器有效', ok: true }], problems: 1, note: null, photos: [],
  };
  it('shows the checklist for 检查 only, a note box under a 不合格 item', () => {
    setLang('zh');
    const d = freshDraft(CODE);
    d.checklist[1]!.ok = false;
    const view = { picks: '<div class="photo-pick"></div>', sending: false, error: '', fixState: 'ok' as const, fix: at, scanNote: '' };
    const html = venueFormHtml(d, view);
    expect(html).toContain(`value="${CODE}"`);
    expect(html.match(/data-testid="venue-check"/g)).toHaveLength(5);
    expect(html.match(/data-check-note=/g)).toHaveLength(1);
    expect(html).toContain('data-check-note="extinguisher"');
    expect(html).toContain('±8 米');
    expect(html.indexOf('photo-pick')).toBeLessThan(html.indexOf('data-testid="venue-submit"'));
    expect(venueFormHtml({ ...d, kind: 'check_in' }, view)).not.toContain('venue-checklist');
    setLang('en');
    expect(venueFormHtml(d, view)).toContain('Fire exits clear');
    setLang('zh');
  });
  it('says where the position stands', () => {
    setLang('zh');
    expect(positionText('waiting', null)).toBe('正在获取位置…');
    expect(positionText('failed', null)).toBe('无法获取位置');
    expect(positionText('ok', { ...at, accuracy: null })).toMatch(/^±\? 米 · /);
  });
  it('shows a recorded scan: place, kind, distance, problems', () => {
    setLang('zh');
    const html = venueDoneHtml(done);
    expect(html).toContain('检查已记录');
    expect(html).toContain('实验小学');
    expect(html).toContain('data-m="12.4">12 m<');
    expect(html).toContain('data-n="1"');
    expect(html).toContain('1 项');
    expect(html).toContain('消防通道畅通：堆放杂物');
    const inside = venueDoneHtml({ ...done, kind: 'check_in', distance_m: 0, problems: 0, checklist: [] });
    expect(inside).toContain('打卡已记录');
    expect(inside).toContain('在场所范围内');
    setLang('en');
    expect(venueDoneHtml({ ...done, problems: 0, checklist: [] })).toContain('None: all in order');
    // The record keeps the Chinese item; the card names ours in the page's language, others as recorded.
    expect(venueDoneHtml(done)).toContain('<li>Fire exits clear: 堆放杂物</li>');
    expect(venueDoneHtml({ ...done, checklist: [{ item: '安全出口标识', ok: false }] })).toContain('<li>安全出口标识</li>');
    setLang('zh');
  });
});
