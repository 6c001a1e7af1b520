import { describe, expect, it } from 'vitest';
import type { GridRow } from '../shared/types';
import { hotSpotFeatures } from './analysisMap';
import { barChartSvg, scaleBars, sparklinePath, sparklineSvg, sparkPoints, stackedBarHtml } from './charts';
import { heatFeatures } from './heat';
import { legendHtml } from './riskLegend';
import { bboxWithin, colourLevel, GridRiskStore, legendRows, levelColour, sharePercent } from './riskModel';
import { riskPanelHtml } from './riskPanel';

const row = (code: string, score: number, level: 1 | 2 | 3 | 4): GridRow => ({
  code, name: code, score, level, colour: levelColour(level),
  parts: { risk_sources: score, key_places: 0, incidents: 0, camera_alarms: 0 },
});

describe('risk levels and colours', () => {
  it('maps levels 1–4 to the four standard colours and back', () => {
    expect([1, 2, 3, 4].map(levelColour)).toEqual(['red', 'orange', 'yellow', 'blue']);
    expect(levelColour(9)).toBe('blue');
    expect(['red', 'orange', 'yellow', 'blue', '2', 'nope'].map(colourLevel)).toEqual([1, 2, 3, 4, 2, 4]);
  });
  it('shares read as percentages', () => {
    expect([1, 0.456, 0.035, 0.001, 0].map(sharePercent)).toEqual(['100%', '46%', '3.5%', '<1%', '0%']);
  });
});

describe('the legend', () => {
  it('counts grids per level, red first, from the area roll-up', () => {
    expect(legendRows({ counts: [131, 286, 600, 2983] })).toEqual([
      { level: 1, colour: 'red', count: 131 },
      { level: 2, colour: 'orange', count: 286 },
      { level: 3, colour: 'yellow', count: 600 },
      { level: 4, colour: 'blue', count: 2983 },
    ]);
    expect(legendRows(null).map((r) => r.count)).toEqual([0, 0, 0, 0]);
    const html = legendHtml({ code: 'C', name: '温州市', area_level: 'city', grids: 4000, score: 1, max_score: 1, counts: [1, 2, 3, 3994], worst: 'red' });
    expect(html).toContain('data-count="orange">2</b>');
    expect(html).toContain('温州市');
  });
});

describe('the grid risk store', () => {
  it('keeps the latest row per grid; a push to no risk drops it; only level changes repaint', () => {
    const s = new GridRiskStore();
    expect([...s.apply([row('G1', 24, 2), row('G2', 3, 4)])].sort()).toEqual(['G1', 'G2']);
    expect([...s.apply([row('G1', 26, 2)])]).toEqual([]);
    expect(s.byCode.get('G1')!.score).toBe(26);
    expect([...s.apply([row('G1', 45, 1)])]).toEqual(['G1']);
    expect([...s.apply([row('G2', 0, 4)])]).toEqual(['G2']);
    expect(s.levelOf('G2')).toBe(0);
    expect(s.levelOf('G1')).toBe(1);
  });
  it('a snapshot clears the grids it covers and leaves out, and no others', () => {
    const s = new GridRiskStore();
    s.apply([row('A', 10, 3), row('B', 10, 3), row('C', 10, 3)]);
    const changed = s.applySnapshot([row('A', 50, 1)], (code) => code !== 'C');
    expect([...changed].sort()).toEqual(['A', 'B']);
    expect([...s.byCode.keys()].sort()).toEqual(['A', 'C']);
  });
  it('knows a box inside another', () => {
    expect(bboxWithin([1, 1, 2, 2], [0, 0, 3, 3])).toBe(true);
    expect(bboxWithin([1, 1, 4, 2], [0, 0, 3, 3])).toBe(false);
  });
});

describe('charts', () => {
  it('scales bars to the largest, keeping small counts visible', () => {
    expect(scaleBars([0, 5, 10, 1], 100)).toEqual([0, 50, 100, 10]);
    expect(scaleBars([0, 1000, 1], 50)[2]).toBe(1);
    expect(scaleBars([0, 0], 50)).toEqual([0, 0]);
  });
  it('draws a bar per day', () => {
    const days = Array.from({ length: 31 }, (_, i) => ({ key: `2026-11-${String(i + 1).padStart(2, '0')}`, count: i % 3 }));
    const svg = barChartSvg(days);
    expect(svg.match(/data-testid="day-bar"/g)).toHaveLength(31);
    expect(svg).toContain('data-count="2"');
  });
  it('puts the sparkline on a 30-day axis ending today, 0 at the bottom', () => {
    // 2 values on a 30-day axis 290 wide (pad 5): the last at the right edge, the one before a step left.
    expect(sparkPoints([0, 10], 300, 50, 5, 30)).toEqual([[285, 45], [295, 5]]);
    expect(sparklinePath([0, 10], 300, 50, 5, 30)).toBe('M285 45 L295 5');
    expect(sparklinePath([3], 300, 50, 5, 30)).toBe('M295 5');
    const svg = sparklineSvg([{ day: '2026-12-02', score: 9, level: 3 }, { day: '2026-12-03', score: 41, level: 1 }]);
    expect(svg).toContain('stroke="#e53935"');
    expect(svg).toContain('fill="#fdd835"');
    expect(sparklineSvg([])).toBe('');
  });
  it('splits a stacked bar by value, leaving out empty parts', () => {
    const html = stackedBarHtml([
      { key: 'a', label: 'A', value: 30, colour: '#f00' },
      { key: 'b', label: 'B', value: 10, colour: '#0f0' },
      { key: 'c', label: 'C', value: 0, colour: '#00f' },
    ]);
    expect(html).toContain('width:75%');
    expect(html).toContain('width:25%');
    expect(html).not.toContain('data-part="c"');
  });
});

describe('the risk panel', () => {
  it('lists every factor with its points, share and repeats', () => {
    const html = riskPanelHtml({
      ...row('G1', 32.9, 2),
      parts: { risk_sources: 20, key_places: 0, incidents: 12.9, camera_alarms: 0 },
      factors: [
        { kind: 'risk_source', id: 'R1', base: 20, share: 1, points: 20, name: '加油站', category: '加油站', level: 2 },
        { kind: 'incident', id: 'SJ1', base: 6, share: 0.91, repeats: 1, points: 12.9, name: '占道经营', category: '0101' },
      ],
      trend: [{ day: '2026-12-03', score: 32.9, level: 2 }],
      computed_ms: 0,
    });
    expect(html.match(/data-testid="risk-factor"/g)).toHaveLength(2);
    expect(html).toContain('data-id="SJ1"');
    expect(html).toContain('91%');
    expect(html).toContain('重复 1');
    expect(html).toContain('data-level="2"');
  });
});

describe('analysis on the map', () => {
  it('draws heat cells as closed hexagons and hot spots as outlines and markers', () => {
    const fc = heatFeatures([{ cell: '8941b060c57ffff', count: 3 }]);
    expect(fc.features[0]!.geometry.coordinates[0]).toHaveLength(7);
    const hot = hotSpotFeatures([{ cell: '8941b060c57ffff', lon: 119.82, lat: 27.35, count: 4, days: 3, category: '0102' }]);
    expect(hot.outlines.features[0]!.geometry.type).toBe('Polygon');
    expect(hot.markers.features[0]!.properties).toMatchObject({ days: 3, count: 4 });
  });
});
