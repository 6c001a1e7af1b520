import { afterEach, describe, expect, it } from 'vitest';
import { formatTimeOfDay, localDate } from '../shared/format';
import { missingTranslations, setLang } from '../shared/i18n';
import type { GridPatrolDay, PatrolCoverage, PatrolWorkerDay, StaffLive } from '../shared/types';
import { layersPanelHtml } from './layersPanel';
import { DEFAULT_OFF, GROUP_LAYERS, LAYER_GROUPS, SHADES_WITH } from './mapLayers';
import { PATROL_FILL } from './palette';
import { dayCardHtml } from './patrolCard';
import { coveragePercent, formatKm, formatPatrolTime, gridFigures, gridPopupHtml, statusBadge, statusLabel } from './patrolFigures';
import { patrolLegendBody, patrolLegendHead, type PatrolLegendState, shownDay } from './patrolLegend';
import {
  addDays,
  coveragePath,
  isDay,
  logCsvPath,
  logFileName,
  PATROL_STATUSES,
  PatrolStates,
  patrolFillColour,
  patrolLineColour,
  patrolStatus,
  statusCounts,
  thinTrack,
  type TrackPoint,
  trackBounds,
  trackFeatures,
  workerDayPath,
} from './patrolModel';
import { staffPopupHtml } from './staffPopup';

afterEach(() => setLang('zh'));

/** 2026-12-04 h:m in the city's time (China, UTC+8). */
const at = (h: number, m: number) => Date.UTC(2026, 11, 4, h, m) - 8 * 3_600_000;

const grid = (over: Partial<GridPatrolDay> = {}): GridPatrolDay => ({
  code: '330302001001001', name: '第1网格', status: 'partly', visits: 1, cells_walked: 40, cells: 300, coverage: 0.133,
  time_s: 1800, distance_m: 2400.5, workers: 1, first_visit_ms: at(8, 5),
  rule: { visits_per_day: 2, coverage: 0.1, visit_by: '10:00' }, ...over,
});

const coverage = (over: Partial<PatrolCoverage> = {}): PatrolCoverage => ({
  day: '2026-12-04', resolution: 10, complete: true, counts: { covered: 1, partly: 2, none: 0, overdue: 1 },
  grids: [grid({ code: 'G1', status: 'covered' }), grid({ code: 'G2' }), grid({ code: 'G3' }), grid({ code: 'G4', status: 'overdue', visits: 0 })],
  ...over,
});

const worker = (over: Partial<PatrolWorkerDay> = {}): PatrolWorkerDay => ({
  staff_id: 'S1', name: '张三', home_grid: 'G1', day: '2026-12-04', fixes: 35, first_ms: at(8, 1), last_ms: at(9, 30),
  time_s: 1020, distance_m: 5234.1, cells: 12, home_coverage: 0.13,
  grids: [
    { code: 'G1', name: '第1网格', visits: 2, time_s: 900, distance_m: 4000.2, cells: 9, first_ms: at(8, 1), last_ms: at(9, 0) },
    { code: 'G2', name: null, visits: 1, time_s: 120, distance_m: 1233.9, cells: 3, first_ms: at(9, 10), last_ms: at(9, 30) },
  ],
  incidents_found: 1, track: [[120.65, 28.01, at(8, 1)], [120.651, 28.011, at(8, 2)]], ...over,
});

describe('patrol statuses and the map', () => {
  it('reads the four statuses, anything else as 未巡查', () => {
    expect(PATROL_STATUSES).toEqual(['covered', 'partly', 'none', 'overdue']);
    expect(['covered', 'partly', 'none', 'overdue', 'done', undefined, 3].map(patrolStatus)).toEqual(['covered', 'partly', 'none', 'overdue', 'none', 'none', 'none']);
  });
  it('shades grids by feature-state `patrol`: green, amber, a grey tint, red; nothing without a status', () => {
    expect(patrolFillColour()).toEqual([
      'match', ['coalesce', ['feature-state', 'patrol'], ''],
      'covered', PATROL_FILL.covered, 'partly', PATROL_FILL.partly, 'none', PATROL_FILL.none, 'overdue', PATROL_FILL.overdue,
      'rgba(0,0,0,0)',
    ]);
    expect(PATROL_FILL.covered).toMatch(/^rgba\(0,200,83,/);
    expect(PATROL_FILL.overdue).toMatch(/^rgba\(255,23,68,/);
    const line = patrolLineColour();
    expect(line.slice(2, 4)).toEqual(['overdue', '#ff1744']);
    expect(line[line.length - 1]).toBe('rgba(0,0,0,0)');
  });
  it('repaints only the grids whose status changed, and clears those the new answer leaves out', () => {
    const s = new PatrolStates();
    expect(s.replace([{ code: 'A', status: 'none' }, { code: 'B', status: 'partly' }])).toEqual({ set: [['A', 'none'], ['B', 'partly']], cleared: [] });
    expect(s.replace([{ code: 'A', status: 'none' }, { code: 'B', status: 'covered' }])).toEqual({ set: [['B', 'covered']], cleared: [] });
    // Drilled into a smaller area: A is no longer shown.
    expect(s.replace([{ code: 'B', status: 'covered' }, { code: 'C', status: 'weird' as never }])).toEqual({ set: [['C', 'none']], cleared: ['A'] });
    expect(s.clear().sort()).toEqual(['B', 'C']);
    expect(s.byCode.size).toBe(0);
  });
  it('is a layer group of its own, off at first, taking turns with the risk shading', () => {
    expect(LAYER_GROUPS).toContain('patrol');
    expect(GROUP_LAYERS.patrol).toEqual(['grid-patrol-fill', 'grid-patrol-line']);
    expect(DEFAULT_OFF.has('patrol')).toBe(true);
    expect(SHADES_WITH.patrol).toBe('grid_risk');
    expect(SHADES_WITH.grid_risk).toBe('patrol');
    const visible = new Set(LAYER_GROUPS.filter((g) => !DEFAULT_OFF.has(g)));
    const html = layersPanelHtml({ visible, heatLayer: 'staff', analysisOpen: false, assessmentOpen: false });
    expect(html).toContain('data-layer="patrol" />');
    expect(html).toContain('data-layer="grid_risk" checked/>');
    expect(html).toContain('巡查覆盖');
  });
});

describe('the legend', () => {
  it('counts grids per status in the legend order, from the counts or else from the grids', () => {
    expect(statusCounts(coverage())).toEqual([
      { status: 'covered', count: 1 }, { status: 'partly', count: 2 }, { status: 'none', count: 0 }, { status: 'overdue', count: 1 },
    ]);
    const noCounts = { ...coverage(), counts: undefined as unknown as PatrolCoverage['counts'] };
    expect(statusCounts(noCounts).map((r) => r.count)).toEqual([1, 2, 0, 1]);
    expect(statusCounts(null).map((r) => r.count)).toEqual([0, 0, 0, 0]);
  });
  const state = (over: Partial<PatrolLegendState> = {}): PatrolLegendState => ({
    view: coverage(), area: '330302', areaName: '鹿城区', day: null, today: '2026-12-04', error: null, ...over,
  });
  it('shows the counts, the total and the day\'s 巡查台账 as a CSV of the drilled area', () => {
    const body = patrolLegendBody(state());
    expect(body).toContain('data-count="partly">2</b>');
    expect(body).toContain('逾期未巡');
    expect(body).toContain('共 4 个网格');
    expect(body).toContain('href="/api/patrol/log?day=2026-12-04&amp;area=330302&amp;format=csv"');
    expect(body).toContain('download="巡查台账-2026-12-04.csv"');
    expect(body).not.toContain('patrol-incomplete');
    expect(patrolLegendBody(state({ view: coverage({ complete: false }) }))).toContain('数据加载中');
    const loading = patrolLegendBody(state({ view: null }));
    expect(loading).toContain('data-count="covered">—</b>');
    expect(loading).not.toContain('data-csv');
  });
  it('says the area and the day; a past day offers the way back to today', () => {
    expect(patrolLegendHead(state())).toContain('巡查覆盖 · <span class="area">鹿城区</span>');
    expect(patrolLegendHead(state())).toContain('value="2026-12-04" max="2026-12-04"');
    expect(patrolLegendHead(state())).not.toContain('data-today');
    const past = state({ day: '2026-12-01', view: null });
    expect(shownDay(past)).toBe('2026-12-01');
    expect(patrolLegendHead(past)).toContain('<button data-today>今天</button>');
    // ‹ always steps back; › only from a past day.
    expect(patrolLegendHead(past)).toMatch(/data-day-step="1" title="后一天" aria-label="后一天">›/);
    expect(patrolLegendHead(state())).toMatch(/data-day-step="1" title="后一天" aria-label="后一天" disabled>›/);
    expect(patrolLegendHead(state())).toMatch(/data-day-step="-1" title="前一天" aria-label="前一天">‹/);
    setLang('en');
    expect(patrolLegendHead(state())).toContain('Patrol coverage');
    expect(patrolLegendBody(state())).toContain('Partly covered');
  });
  it('says why a read failed', () => {
    expect(patrolLegendBody(state({ error: new Error('offline') }))).toContain('class="error"');
  });
});

describe('figures', () => {
  it('reads shares, kilometres and time on patrol', () => {
    expect([0.133, 1, 0.1, 0.045, 0.07, 0, null].map(coveragePercent)).toEqual(['13%', '100%', '10%', '4.5%', '7%', '0%', '—']);
    expect([5234.1, 0, 123_456, Number.NaN, -1].map(formatKm)).toEqual(['5.23 km', '0.00 km', '123.5 km', '—', '—']);
    expect(formatPatrolTime(1020, 'zh')).toBe('17分钟');
    expect(formatPatrolTime(3900, 'en')).toBe('1h 5m');
    expect(formatTimeOfDay(at(8, 5))).toBe('08:05');
    expect(formatTimeOfDay(null)).toBe('—');
    expect(localDate(at(23, 59))).toBe('2026-12-04');
  });
  it('labels statuses in both languages, as coloured badges', () => {
    expect(PATROL_STATUSES.map((s) => statusLabel(s, 'zh'))).toEqual(['已覆盖', '部分覆盖', '未巡查', '逾期未巡']);
    expect(PATROL_STATUSES.map((s) => statusLabel(s, 'en'))).toEqual(['Covered', 'Partly covered', 'Not yet patrolled', 'Overdue']);
    expect(statusBadge('overdue', 'zh')).toContain('background:#ff1744;color:#fff');
    expect(statusBadge('covered', 'zh')).toContain('color:#1a1a1a');
  });
  it('puts a grid\'s day against its rule: visits, coverage, cells, time, distance, workers, first visit', () => {
    const f = Object.fromEntries(gridFigures(grid(), 'zh').map((x) => [x.key, x.value]));
    expect(f).toEqual({
      visits: '1 / 2 次', coverage: '13%（要求 10%）', cells: '40 / 300', time: '30分钟', distance: '2.40 km', workers: '1', first_visit: '08:05',
    });
    expect(gridFigures(grid(), 'zh').find((x) => x.key === 'first_visit')!.note).toBe('应于 10:00 前');
    const en = Object.fromEntries(gridFigures(grid({ first_visit_ms: null, rule: { visits_per_day: 1, coverage: 0.5, visit_by: null } }), 'en').map((x) => [x.key, x]));
    expect(en.visits!.value).toBe('1 of 1');
    expect(en.coverage!.value).toBe('13% (rule 50%)');
    expect(en.first_visit!.value).toBe('not yet');
    expect(en.first_visit!.note).toBeUndefined();
  });
  it('draws a grid\'s popup, escaped; a grid not read yet says so', () => {
    const html = gridPopupHtml('G9', grid({ code: 'G9', name: '<b>网格</b>', status: 'overdue' }), { day: '2026-12-04', pending: false }, 'zh');
    expect(html).toContain('data-status="overdue"');
    expect(html).toContain('&lt;b&gt;网格&lt;/b&gt;');
    expect(html).toContain('data-figure="coverage">13%（要求 10%）');
    expect(html).toContain('网格巡查 · 2026-12-04');
    expect(gridPopupHtml('G9', null, { day: null, pending: false }, 'zh')).toContain('暂无该网格的巡查数据');
    expect(gridPopupHtml('G9', null, { day: null, pending: true }, 'en')).toContain('Loading…');
  });
});

describe('a worker\'s day card', () => {
  it('shows distance in km, time, fixes, cells, home coverage, incidents and the grids visited', () => {
    const html = dayCardHtml(worker(), '2026-12-04', 'zh');
    expect(html).toContain('当日巡查 · 张三 <small>S1</small>');
    expect(html).toContain('data-metres="5234.1"><b data-testid="patrol-distance">5.23 km</b>');
    expect(html).toContain('data-testid="patrol-time">17分钟</b>');
    expect(html).toContain('data-testid="patrol-fixes">35</b>');
    expect(html).toContain('data-testid="patrol-cells">12</b>');
    expect(html).toContain('data-testid="patrol-home-coverage">13%</b>');
    expect(html).toContain('data-testid="patrol-incidents">1 件</b>');
    expect(html).toContain('value="2026-12-04" max="2026-12-04"');
    expect(html).toContain('首末定位: 08:01 – 09:30');
    expect(html).toContain('<tr data-grid="G1" class="home">');
    // A grid without a name shows its code.
    expect(html).toMatch(/<tr data-grid="G2">\s*<td class="name">G2<small>G2<\/small>/);
    expect(html).toContain('data-fit');
  });
  it('says when there was no patrol, and reads in English', () => {
    const none = dayCardHtml(worker({ grids: [], track: [], fixes: 0, first_ms: null, last_ms: null, home_coverage: null }), '2026-12-04', 'zh');
    expect(none).toContain('当日无巡查记录');
    expect(none).toContain('data-testid="patrol-home-coverage">—</b>');
    expect(none).not.toContain('data-fit');
    const en = dayCardHtml(worker(), '2026-12-04', 'en');
    expect(en).toContain('Patrol day · 张三');
    expect(en).toContain('Grids visited (2)');
    expect(en).toContain('home grid');
  });
  it('is opened from a staff member\'s popup, beside track replay', () => {
    const s: StaffLive = { id: 'S"1', name: '张<三>', role: 'grid_worker', duty: 'available', lon: 120, lat: 28, t: 0 };
    const html = staffPopupHtml(s, { ageS: 30, offline: false }, 'zh');
    expect(html).toContain('data-replay-staff="S&quot;1"');
    expect(html).toContain('data-patrol-staff="S&quot;1"');
    expect(html).toContain('>当日巡查</button>');
    expect(html).toContain('张&lt;三&gt;');
    expect(staffPopupHtml(s, { ageS: 30, offline: true }, 'en')).toContain('>Patrol day</button>');
  });
});

describe('a day track', () => {
  const pt = (i: number, t: number): TrackPoint => [120 + i / 1000, 28 + i / 1000, t];
  it('thins evenly to at most so many points, the first and the last kept', () => {
    const track = Array.from({ length: 101 }, (_, i) => pt(i, i * 1000));
    const thin = thinTrack(track, 11);
    expect(thin).toHaveLength(11);
    expect(thin[0]).toEqual(track[0]);
    expect(thin[10]).toEqual(track[100]);
    expect(thin.map((p) => p[2])).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((s) => s * 1000));
    expect(thinTrack(track.slice(0, 5), 11)).toHaveLength(5);
  });
  it('is split where the phone was silent, repeats dropped, with where it began and ended', () => {
    const min = 60_000;
    const track: TrackPoint[] = [pt(0, 0), pt(1, min), pt(1, 2 * min), pt(2, 3 * min), pt(3, 60 * min), pt(4, 61 * min), pt(9, 200 * min)];
    const fc = trackFeatures(track);
    const line = fc.features.find((f) => f.properties?.kind === 'line')!;
    expect(line.geometry).toEqual({
      type: 'MultiLineString',
      coordinates: [
        [[120, 28], [120.001, 28.001], [120.002, 28.002]],
        [[120.003, 28.003], [120.004, 28.004]],
      ],
    });
    const ends = fc.features.filter((f) => f.properties?.kind !== 'line').map((f) => [f.properties?.kind, (f.geometry as GeoJSON.Point).coordinates]);
    expect(ends).toEqual([['start', [120, 28]], ['end', [120.009, 28.009]]]);
    expect(trackFeatures([pt(0, 0)]).features.map((f) => f.properties?.kind)).toEqual(['start']);
    expect(trackFeatures([]).features).toEqual([]);
  });
  it('has an extent', () => {
    expect(trackBounds([[120.1, 28.2, 0], [120.0, 28.3, 1]])).toEqual([120.0, 28.2, 120.1, 28.3]);
    expect(trackBounds([])).toBeNull();
  });
});

describe('the addresses asked', () => {
  it('asks for the area and the day, today by default', () => {
    expect(coveragePath({ day: null, area: '330302' })).toBe('/api/patrol/coverage?area=330302');
    expect(coveragePath({ day: '2026-12-03', area: null })).toBe('/api/patrol/coverage?day=2026-12-03');
    expect(logCsvPath({ day: '2026-12-04', area: '330302' })).toBe('/api/patrol/log?day=2026-12-04&area=330302&format=csv');
    expect(workerDayPath('S 1', null)).toBe('/api/patrol/staff/S%201');
    expect(workerDayPath('S1', '2026-12-03')).toBe('/api/patrol/staff/S1?day=2026-12-03');
    expect(logFileName('2026-12-04')).toBe('巡查台账-2026-12-04.csv');
  });
  it('moves dates by whole days and knows a real one', () => {
    expect(addDays('2026-12-01', -1)).toBe('2026-11-30');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(isDay('2026-12-04')).toBe(true);
    expect(isDay('2026-02-30')).toBe(false);
    expect(isDay('2026-1-4')).toBe(false);
  });
  it('has every label in English', () => {
    expect(missingTranslations()).toEqual([]);
  });
});
