import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLang } from '../shared/i18n';
import type { SosAlert } from '../shared/types';
import { Alarm, BEEP_PERIOD_MS } from './alarm';
import { showAtOnce } from './sosDesk';
import { FeaturesDrawn } from './sourceWrite';
import { alertLook, isRuleCrowd, pastRuleCrowd, ringed, RULE_CROWD, RULE_RINGS_MAX, sosFeatures, sosShown, writeFloorMs } from './sosMap';
import { agoText, canHandleSos, kindLabel, lastedText, renderSosPanel, SOS_PANEL_MAX, type SosPanelView } from './sosPanel';

const sos = (over: Partial<SosAlert>): SosAlert => ({
  id: 'sos-S1-1000', kind: 'sos', state: 'open', staff_id: 'S1', staff_name: '王芳', grid: 'G1',
  position: { lon: 120.66, lat: 28.01 }, duty_before: 'available',
  helpers: [{ staff_id: 'S2', name: '李强', distance_m: 312.4 }], raised_ms: 1000, updated_ms: 1000,
  steps: [{ action: 'raised', at_ms: 1000, by: 'field', note: '被围堵' }], version: 1, ...over,
});

/** A stand-in for the browser's AudioContext: counts the tones started. */
function fakeAudio(state: AudioContextState = 'running') {
  const tones: number[] = [];
  const param = { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined };
  const ctx = {
    state,
    currentTime: 0,
    destination: {},
    onstatechange: null,
    resume: vi.fn(() => Promise.resolve()),
    createGain: () => ({ gain: param, connect: (d: unknown) => d }),
    createOscillator: () => {
      const o = { type: '', frequency: { value: 0 }, connect: (d: unknown) => d, start: () => tones.push(o.frequency.value), stop: () => undefined };
      return o;
    },
  };
  return { ctx, tones, factory: () => ctx as unknown as AudioContext };
}

describe('the alarm', () => {
  afterEach(() => vi.useRealTimers());
  it('beeps at once and then every period while on, and stops when off', () => {
    vi.useFakeTimers();
    const audio = fakeAudio();
    const a = new Alarm(audio.factory);
    a.set(true);
    expect(a.sounding).toBe(true);
    expect(a.beeps).toBe(1);
    expect(audio.tones.length).toBe(3);
    vi.advanceTimersByTime(BEEP_PERIOD_MS * 2);
    expect(a.beeps).toBe(3);
    a.set(false);
    vi.advanceTimersByTime(BEEP_PERIOD_MS * 5);
    expect(a.beeps).toBe(3);
    expect(a.sounding).toBe(false);
  });
  it('says when the browser keeps it silent, and asks to resume', () => {
    vi.useFakeTimers();
    const audio = fakeAudio('suspended');
    const a = new Alarm(audio.factory);
    a.set(true);
    expect(a.audible).toBe(false);
    expect(audio.ctx.resume).toHaveBeenCalled();
    a.set(false);
  });
  it('still counts without Web Audio', () => {
    vi.useFakeTimers();
    const a = new Alarm(() => null);
    a.set(true);
    expect(a.beeps).toBe(1);
    expect(a.audible).toBe(false);
    a.set(false);
  });
});

describe('the SOS panel', () => {
  const view = (over: Partial<SosPanelView>): SosPanelView => ({
    alerts: [sos({})], now: 1000 + 42_000, canAct: true, muted: false, areaName: () => '五马社区第1网格',
    drafts: new Map(), errors: new Map(), pending: new Set(), ...over,
  });
  it('shows who, where, when, how long ago, the note and the nearest help', () => {
    const html = renderSosPanel(view({}));
    for (const s of ['王芳', '五马社区第1网格', '42 秒前', '被围堵', '李强', '312 m', 'data-sos-ack', 'data-sos-close']) expect(html).toContain(s);
  });
  it('offers acknowledging only while open, and nothing to a read-only login', () => {
    const taken = sos({ state: 'acknowledged', steps: [...sos({}).steps, { action: 'acknowledged', at_ms: 2000, by: 'dispatcher' }] });
    const html = renderSosPanel(view({ alerts: [taken] }));
    expect(html).not.toContain('data-sos-ack');
    expect(html).toContain('data-sos-close');
    expect(html).toContain('dispatcher');
    const viewer = renderSosPanel(view({ canAct: false }));
    expect(viewer).not.toContain('data-sos-ack');
    expect(viewer).toContain('sos-read-only');
    expect(canHandleSos('viewer')).toBe(false);
    expect(canHandleSos('dispatcher')).toBe(true);
  });
  it('escapes what people typed', () => {
    const html = renderSosPanel(view({ alerts: [sos({ staff_name: '<b>x</b>' })], drafts: new Map([['sos-S1-1000', '"><i>']]) }));
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('"><i>');
  });
  it('reads how long ago in both languages', () => {
    expect(agoText(5_000, 'zh')).toBe('5 秒前');
    expect(agoText(5_000, 'en')).toBe('5 s ago');
    expect(agoText(125_000, 'zh')).toBe('2分钟前');
    expect(agoText(125_000, 'en')).toBe('2m ago');
  });
  it('puts a marker where the worker stood, none without a position', () => {
    const fc = sosFeatures([sos({}), sos({ id: 'b', position: null })]);
    expect(fc.features).toHaveLength(1);
    expect(fc.features[0]!.properties).toMatchObject({ state: 'open', name: '王芳' });
  });
});

describe("a rule's alert (脱岗, 静止)", () => {
  const still = sos({
    id: 'motionless-S1-1', kind: 'motionless', since_ms: 0, raised_ms: 31 * 60_000, helpers: [],
    steps: [{ action: 'raised', at_ms: 31 * 60_000, by: 'riskmap' }],
  });
  const view = (over: Partial<SosPanelView>): SosPanelView => ({
    alerts: [still], now: 35 * 60_000, canAct: true, muted: false, areaName: () => '五马社区第1网格',
    drafts: new Map(), errors: new Map(), pending: new Set(), ...over,
  });
  afterEach(() => setLang('zh'));
  it('names its kind in both languages', () => {
    expect(kindLabel('left_grid', 'zh')).toBe('脱岗');
    expect(kindLabel('left_grid', 'en')).toBe('Out of grid');
    expect(kindLabel('motionless', 'zh')).toContain('静止');
    expect(kindLabel('motionless', 'en')).toBe('Not moving — possible fall');
    expect(kindLabel('not_visited', 'zh')).toBe('未按时入格');
    expect(kindLabel('place_overdue', 'en')).toBe('Key place overdue for inspection');
  });
  it('says for how long the rule has been broken', () => {
    expect(lastedText(35 * 60_000 + 59_000, 'zh')).toBe('已持续 35 分钟');
    expect(lastedText(35 * 60_000, 'en')).toBe('for 35 min');
    expect(lastedText(125 * 60_000, 'zh')).toBe('已持续 2 小时 5 分钟');
    expect(lastedText(125 * 60_000, 'en')).toBe('for 2 h 5 min');
    expect(lastedText(-5_000, 'zh')).toBe('已持续 0 分钟');
  });
  it('is an amber card with its kind, since when and how long, 认领 and 处置完毕; no empty helpers row', () => {
    const html = renderSosPanel(view({}));
    for (const s of ['rule-alert', 'data-kind="motionless"', '静止', '待认领', '已持续 35 分钟', 'data-since="0"', 'data-sos-ack', 'data-sos-close']) expect(html).toContain(s);
    expect(html).not.toContain('求助中');
    expect(html).not.toContain('附近人员');
    setLang('en');
    const en = renderSosPanel(view({ alerts: [{ ...still, kind: 'left_grid' }] }));
    for (const s of ['Alerts · SOS', 'Out of grid', 'Not taken', 'for 35 min']) expect(en).toContain(s);
  });
  it('names the zones crossed, with what to do, in both languages', () => {
    expect(kindLabel('fence_enter', 'zh')).toBe('进入围栏');
    expect(kindLabel('fence_exit', 'zh')).toBe('离开围栏');
    expect(kindLabel('risk_zone', 'zh')).toBe('进入风险源缓冲区');
    expect(kindLabel('fence_enter', 'en')).toBe('Entered a geofence');
    expect(kindLabel('fence_exit', 'en')).toBe('Left a geofence');
    expect(kindLabel('risk_zone', 'en')).toBe("Within a risk source's buffer");
    const fence = sos({
      ...still, id: 'fence_enter-F1.S1-0', kind: 'fence_enter',
      steps: [{ action: 'raised', at_ms: 31 * 60_000, by: 'riskmap', note: '进入围栏：水库警戒区' }],
    });
    const zone = { ...fence, id: 'risk_zone-R1.S1-0', kind: 'risk_zone' as const, steps: [{ action: 'raised' as const, at_ms: 0, by: 'riskmap', note: '进入风险源缓冲区：加油站（加油站，较大风险）' }] };
    const html = renderSosPanel(view({ alerts: [fence, zone, { ...fence, id: 'x', kind: 'fence_exit' }] }));
    for (const s of ['data-kind="fence_enter"', 'data-kind="risk_zone"', 'data-kind="fence_exit"', '进入围栏', '离开围栏', '进入风险源缓冲区', '核实人员是否需要进入该区域', '水库警戒区', '加油站（加油站，较大风险）', '待认领']) {
      expect(html).toContain(s);
    }
    expect(html).not.toContain('alarm.');
    expect(sosFeatures([fence, zone, { ...fence, id: 'x', kind: 'fence_exit' }]).features.map((f) => f.properties!.tag)).toEqual(['围栏', '风险', '出栏']);
    setLang('en');
    const en = renderSosPanel(view({ alerts: [fence, zone, { ...fence, id: 'x', kind: 'fence_exit' }] }));
    for (const s of ['Entered a geofence', 'Left a geofence', "Within a risk source&#39;s buffer", 'call them if need be']) expect(en).toContain(s);
    expect(en).not.toContain('alarm.');
    expect(sosFeatures([fence, zone, { ...fence, id: 'x', kind: 'fence_exit' }]).features.map((f) => f.properties!.tag)).toEqual(['FENCE', 'RISK', 'EXIT']);
  });
  it('is marked on the map apart from an SOS, with its kind', () => {
    const fc = sosFeatures([still, sos({})]);
    expect(fc.features.map((f) => [f.properties!.kind, f.properties!.tag])).toEqual([['motionless', '静止'], ['sos', 'SOS']]);
  });
});

/** The i-th of a crowd of 静止 alerts. */
const still = (i: number): SosAlert => sos({ id: `motionless-S${i}-1000`, kind: 'motionless', staff_id: `S${i}` });

describe('what is written to the map at once', () => {
  it("changes with an SOS (raised, taken, moved, closed), not with the rules' alerts", () => {
    const crowd = Array.from({ length: 5 }, (_, i) => still(i));
    const one = sosShown([sos({}), ...crowd]);
    expect(sosShown([sos({}), ...crowd, still(9)])).toBe(one);
    expect(sosShown([sos({}), { ...still(1), state: 'acknowledged' }])).toBe(one);
    expect(sosShown([sos({ state: 'acknowledged' }), ...crowd])).not.toBe(one);
    expect(sosShown([sos({ position: { lon: 120.7, lat: 28.1 } }), ...crowd])).not.toBe(one);
    expect(sosShown([sos({}), sos({ id: 'b' }), ...crowd])).not.toBe(one);
    expect(sosShown(crowd)).not.toBe(one);
  });
});

describe('what is written to the map', () => {
  const ids = (fs: readonly GeoJSON.Feature[] | undefined) => (fs ?? []).map((f) => f.properties!.id);
  it('is everything at first, then only the alerts raised, changed and ended', () => {
    const drawn = new FeaturesDrawn(alertLook);
    const crowd = Array.from({ length: 3 }, (_, i) => still(i));
    const first = drawn.next(sosFeatures(crowd).features);
    expect(first && 'data' in first && ids(first.data.features)).toEqual(['motionless-S0-1000', 'motionless-S1-1000', 'motionless-S2-1000']);
    expect(drawn.next(sosFeatures(crowd).features)).toBeNull();

    const later = [{ ...crowd[0]!, state: 'acknowledged' as const }, crowd[2]!, still(7), sos({ position: null })];
    const w = drawn.next(sosFeatures(later).features);
    if (!w || !('diff' in w)) throw new Error(`a diff: ${JSON.stringify(w)}`);
    expect(ids(w.diff.add)).toEqual(['motionless-S7-1000']);
    expect(w.diff.update?.map((u) => u.id)).toEqual(['motionless-S0-1000']);
    expect(w.diff.update?.[0]?.addOrUpdateProperties).toContainEqual({ key: 'state', value: 'acknowledged' });
    expect(w.diff.remove).toEqual(['motionless-S1-1000']);

    // moved, or named in another language: written again
    const moved = drawn.next(sosFeatures([{ ...later[0]!, position: { lon: 120.7, lat: 28.1 } }, later[1]!, later[2]!]).features);
    expect(moved && 'diff' in moved && moved.diff.update?.map((u) => [u.id, u.newGeometry?.type])).toEqual([['motionless-S0-1000', 'Point']]);
    setLang('en');
    const relabelled = drawn.next(sosFeatures([later[1]!]).features);
    setLang('zh');
    expect(relabelled && 'diff' in relabelled && [relabelled.diff.update?.length, relabelled.diff.remove?.length]).toEqual([1, 2]);
  });
});

describe('how often a crowd of rule alerts is written', () => {
  it('is once a second while they are few, once in five seconds in a crowd; an SOS is not counted', () => {
    const crowd = Array.from({ length: RULE_CROWD }, (_, i) => still(i));
    const soses = Array.from({ length: 10 }, (_, i) => sos({ id: `sos-S${i}` }));
    expect(writeFloorMs([...crowd, ...soses])).toBe(1000);
    expect(writeFloorMs([...crowd, still(RULE_CROWD)])).toBe(5000);
  });
});

describe('what the alarm panel shows at once', () => {
  it("is every change while the rules' alerts are few; in a crowd an SOS's, and a 静止 that starts a silent alarm", () => {
    const crowd = Array.from({ length: RULE_CROWD + 1 }, (_, i) => still(i));
    expect(pastRuleCrowd(crowd)).toBe(true);
    expect(pastRuleCrowd([...crowd.slice(1), sos({})])).toBe(false);
    // few: everything at once
    expect(showAtOnce(still(1), false, true)).toBe(true);
    // a crowd: an SOS raised, taken or closed at once; the rules' changes at the pace
    for (const state of ['open', 'acknowledged', 'closed'] as const) expect(showAtOnce(sos({ state }), true, true)).toBe(true);
    expect(showAtOnce(still(1), true, true)).toBe(false);
    expect(showAtOnce({ ...still(1), kind: 'left_grid' }, true, false)).toBe(false);
    expect(showAtOnce({ ...still(1), state: 'closed' }, true, false)).toBe(false);
    // a 静止 raised while the alarm is silent (every other one taken) sounds it at once
    expect(showAtOnce(still(1), true, false)).toBe(true);
  });
});

describe('the rings on the map', () => {
  const ids = (alerts: SosAlert[]) => ringed(sosFeatures(alerts).features, isRuleCrowd(alerts)).map((f) => f.properties!.id);

  it('rings every SOS and the rules\' alerts while they are few', () => {
    const few = Array.from({ length: RULE_RINGS_MAX }, (_, i) => still(i));
    expect(ids([sos({}), ...few])).toHaveLength(RULE_RINGS_MAX + 1);
  });

  it('rings only the SOS once the rules\' alerts are a crowd', () => {
    const crowd = Array.from({ length: RULE_RINGS_MAX + 1 }, (_, i) => still(i));
    expect(ids([...crowd, sos({})])).toEqual(['sos-S1-1000']);
  });
});

describe('a crowd of alerts in the panel', () => {
  const view = (alerts: SosAlert[]): SosPanelView => ({
    alerts, now: 2000, canAct: true, muted: false, areaName: () => null, drafts: new Map(), errors: new Map(), pending: new Set(),
  });
  const panel = (alerts: SosAlert[]) => renderSosPanel(view(alerts));

  it('lists the first cards, counts them all and says how many are not listed', () => {
    setLang('zh');
    const html = panel(Array.from({ length: SOS_PANEL_MAX + 7 }, (_, i) => still(i)));
    expect(html.match(/data-testid="sos-alert"/g)).toHaveLength(SOS_PANEL_MAX);
    expect(html).toContain(`data-testid="sos-count">${SOS_PANEL_MAX + 7}<`);
    expect(html).toContain('另有 7 条告警未列出');
    expect(html).toContain(`data-alert="motionless-S${SOS_PANEL_MAX - 1}-1000"`);
    expect(html).not.toContain(`data-alert="motionless-S${SOS_PANEL_MAX}-1000"`);
  });

  it('lists the next cards when asked, and says how many are left', () => {
    setLang('en');
    const crowd = Array.from({ length: 2 * SOS_PANEL_MAX + 7 }, (_, i) => still(i));
    expect(panel(crowd)).toContain(`List ${SOS_PANEL_MAX} more`);
    const html = renderSosPanel({ ...view(crowd), listed: 2 * SOS_PANEL_MAX });
    expect(html.match(/data-testid="sos-alert"/g)).toHaveLength(2 * SOS_PANEL_MAX);
    expect(html).toContain(`data-alert="motionless-S${2 * SOS_PANEL_MAX - 1}-1000"`);
    expect(html).toContain(`7 more alerts not shown here (only the ${2 * SOS_PANEL_MAX} most urgent are)`);
    expect(html).toContain('List 7 more');
    const all = renderSosPanel({ ...view(crowd), listed: 3 * SOS_PANEL_MAX });
    expect(all.match(/data-testid="sos-alert"/g)).toHaveLength(2 * SOS_PANEL_MAX + 7);
    expect(all).not.toContain('sos-more');
    setLang('zh');
  });

  it('lists the alert picked on the map first when it would not be listed, and marks it', () => {
    const crowd = Array.from({ length: SOS_PANEL_MAX + 7 }, (_, i) => still(i));
    const far = crowd[SOS_PANEL_MAX + 3].id;
    const html = renderSosPanel({ ...view(crowd), picked: far });
    const ids = [...html.matchAll(/data-alert="([^"]+)"/g)].map((m) => m[1]);
    expect(ids).toHaveLength(SOS_PANEL_MAX + 1);
    expect(ids[0]).toBe(far);
    expect(html).toMatch(new RegExp(`sos-picked" data-picked="true" data-alert="${far}"`));
    // one already listed keeps its place; an alert no longer running is not listed
    const near = crowd[3].id;
    const listed = [...renderSosPanel({ ...view(crowd), picked: near }).matchAll(/data-alert="([^"]+)"/g)].map((m) => m[1]);
    expect(listed).toHaveLength(SOS_PANEL_MAX);
    expect(listed[3]).toBe(near);
    expect(renderSosPanel({ ...view(crowd), picked: 'gone' }).match(/data-testid="sos-alert"/g)).toHaveLength(SOS_PANEL_MAX);
  });

  it("says the map counts the rules' alerts past RULE_RINGS_MAX", () => {
    const rules = Array.from({ length: RULE_RINGS_MAX }, (_, i) => still(i));
    expect(panel([...rules, sos({})])).not.toContain('sos-counted');
    expect(panel([...rules, { ...still(RULE_RINGS_MAX), position: null }])).not.toContain('sos-counted');
    expect(panel([...rules, still(RULE_RINGS_MAX)])).toContain('地图在街道级以下按六边形显示告警数');
    setLang('en');
    expect(panel([...rules, still(RULE_RINGS_MAX)])).toContain('below street zoom the map counts them per hexagon');
    setLang('zh');
  });

  it('says nothing more when every alert is listed', () => {
    expect(panel(Array.from({ length: SOS_PANEL_MAX }, (_, i) => still(i)))).not.toContain('sos-more');
  });
});
