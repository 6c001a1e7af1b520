import { describe, expect, it } from 'vitest';
import { haversine } from '../shared/geo';
import { gcj02ToBd09, navLinks, wgs84ToGcj02 } from './navLinks';
import { mergeDone } from './tasks';
import type { Incident } from '../shared/types';

describe('navigation hand-off', () => {
  it('shifts WGS84 to GCJ-02 by the published amount inside China, not outside', () => {
    const [lon, lat] = wgs84ToGcj02([116.404, 39.915]);
    expect(lon).toBeCloseTo(116.41024, 4);
    expect(lat).toBeCloseTo(39.91640, 4);
    expect(wgs84ToGcj02([2.35, 48.85])).toEqual([2.35, 48.85]);
  });
  it('puts BD-09 a few hundred metres from GCJ-02', () => {
    const g: [number, number] = [120.655, 28.015];
    const d = haversine(g, gcj02ToBd09(g));
    expect(d).toBeGreaterThan(300);
    expect(d).toBeLessThan(1500);
  });
  it('links each app in its datum', () => {
    const links = Object.fromEntries(navLinks([120.655, 28.015], '路灯 网格').map((l) => [l.app, l.href]));
    expect(links.geo).toBe('geo:28.015000,120.655000?q=28.015000,120.655000(%E8%B7%AF%E7%81%AF%20%E7%BD%91%E6%A0%BC)');
    expect(links.amap).toMatch(/^amapuri:\/\/route\/plan\/\?.*dlat=28\.011\d+&dlon=120\.658\d+.*dev=0/);
    expect(links.baidu).toMatch(/^baidumap:\/\/map\/direction\?destination=latlng%3A28\.0\d+%2C120\.6\d+.*coord_type=bd09ll/);
    expect(links.qq).toMatch(/^qqmap:\/\/map\/routeplan\?type=walk.*tocoord=28\.011\d+,120\.658\d+/);
  });
});

describe('已办', () => {
  const inc = (id: string, state: Incident['state'], updated: number, assignee = 'S1') =>
    ({ id, state, updated_ms: updated, version: updated, assignee_staff: assignee, priority: 'normal' }) as Incident;
  it('keeps my finished tasks, newest first, and nothing else', () => {
    let done: Incident[] = [];
    done = mergeDone(done, inc('a', 'handled', 1), 'S1');
    done = mergeDone(done, inc('b', 'in_progress', 2), 'S1');
    done = mergeDone(done, inc('c', 'closed', 3), 'S1');
    done = mergeDone(done, inc('d', 'handled', 4, 'S2'), 'S1');
    expect(done.map((i) => i.id)).toEqual(['c', 'a']);
    // sent back for rework: no longer done
    done = mergeDone(done, inc('a', 'dispatched', 5), 'S1');
    expect(done.map((i) => i.id)).toEqual(['c']);
  });
});
