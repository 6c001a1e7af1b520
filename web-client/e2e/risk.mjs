// 风险研判 on the big screen (issue 18): grids shaded by the server's risk
// model, the legend's counts for the login's area, a grid turning orange
// within 2 s of an emergency incident reported in it, a grid's breakdown on
// click, and the analysis view (H3 hexagons, a bar per day, top grids).

import { assert, eventually, test } from './harness.mjs';
import { api, categoryFor, inside, mapIdle, openScreen, SHOTS, token } from './support.mjs';

const COLOURS = ['red', 'orange', 'yellow', 'blue'];

/** The levels the map renders for these grids (feature-state `level` of `grid-risk-fill`). */
function renderedLevels(page, codes) {
  return page.evaluate((codes) => {
    const want = new Set(codes);
    const out = {};
    for (const f of window.riskmap.map.queryRenderedFeatures({ layers: ['grid-risk-fill'] })) {
      if (want.has(f.properties.code)) out[f.properties.code] = f.state.level ?? 0;
    }
    return out;
  }, codes);
}

/**
 * The grid as painted: of a 15×15 lattice of pixels over the grid's extent on
 * screen, how many fall inside its outline and how many of those are orange
 * (the level-2 fill over the dark map).
 */
function gridPixels(page, ring) {
  return page.evaluate((ring) => {
    const m = window.riskmap.map;
    const c = m.getCanvas();
    const dpr = c.width / c.clientWidth;
    const pts = ring.map((q) => m.project(q));
    const xs = pts.map((p) => p.x);
    const ys = pts.map((p) => p.y);
    const within = (x, y) => {
      let inside = false;
      for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
        const [a, b] = [pts[i], pts[j]];
        if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
      }
      return inside;
    };
    const tmp = document.createElement('canvas');
    tmp.width = c.width;
    tmp.height = c.height;
    const ctx = tmp.getContext('2d');
    ctx.drawImage(c, 0, 0);
    let inside = 0;
    let orange = 0;
    for (let i = 1; i < 16; i++) {
      for (let j = 1; j < 16; j++) {
        const x = Math.min(...xs) + ((Math.max(...xs) - Math.min(...xs)) * i) / 16;
        const y = Math.min(...ys) + ((Math.max(...ys) - Math.min(...ys)) * j) / 16;
        if (!within(x, y)) continue;
        inside++;
        const [r, g, b] = ctx.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
        if (r > 70 && r > 2 * b && g > 25 && g < r) orange++;
      }
    }
    return { inside, orange };
  }, ring);
}

async function legendCounts(page) {
  return page.$$eval('[data-testid="risk-legend"] [data-count]', (els) => Object.fromEntries(els.map((e) => [e.dataset.count, Number(e.textContent)])));
}

test('risk 风险研判: the legend counts the login\'s area and grids are shaded by the server\'s levels', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser, { username: 'screen' });
  const tok = await token('screen');
  const me = await api(tok, 'GET', '/api/me');
  await page.waitForFunction((code) => window.riskmap.risk.legend.area?.code === code, me.user.area);
  const want = (await api(tok, 'GET', `/api/risk/areas/${me.user.area}`)).area;
  const shown = await eventually(async () => {
    const c = await legendCounts(page);
    return COLOURS.every((k, i) => c[k] === want.counts[i]) ? c : null;
  }, { message: `the legend's counts ${want.counts.join('/')}` });
  assert(shown.red + shown.orange + shown.yellow + shown.blue === want.grids, 'the legend counts every grid');
  // The riskiest grids and some yellow ones: rendered at the API's level.
  const top = (await api(tok, 'GET', '/api/risk/grids?limit=40')).grids;
  const yellow = (await api(tok, 'GET', '/api/risk/grids?level=yellow&limit=100000')).grids.filter((g) => g.level === 3).slice(0, 40);
  const grids = [...top, ...yellow];
  const levels = await eventually(async () => {
    const l = await renderedLevels(page, grids.map((g) => g.code));
    return Object.keys(l).length >= grids.length * 0.8 && grids.every((g) => l[g.code] === undefined || l[g.code] === g.level) ? l : null;
  }, { message: 'the grids rendered at the API\'s levels' });
  const matched = grids.filter((g) => levels[g.code] === g.level).length;
  assert(matched >= grids.length * 0.8, `most of the ${grids.length} grids drawn at their level, got ${matched}`);
  await page.screenshot({ path: `${SHOTS}/risk-legend-zh.png` });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});

test('risk 风险研判: an emergency incident turns a blue grid orange on the screen within 2 s', async ({ browser }) => {
  const disp = await token('dispatcher');
  const { context, page, errors } = await openScreen(browser);
  const blue = (await api(disp, 'GET', '/api/risk/grids?level=blue&limit=100000')).grids.filter((g) => g.level === 4 && g.score === 0);
  assert(blue.length > 0, 'a grid with no risk');
  // One at random among those with no risk: a second run picks another.
  let grid;
  let at;
  for (let k = 0; k < 20 && !at; k++) {
    grid = blue[Math.floor(Math.random() * blue.length)];
    const f = await api(disp, 'GET', `/ogc/collections/areas/items/${grid.code}`);
    const p = inside(f.geometry);
    const located = await api(disp, 'GET', `/api/dispatch/locate?lon=${p.longitude}&lat=${p.latitude}`);
    if (located.grid?.code === grid.code) at = { lon: p.longitude, lat: p.latitude, ring: (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0])[0] };
  }
  assert(at, 'a point inside a grid with no risk');
  // The grid filling the view, with nothing drawn over it but its shading.
  for (const g of ['staff', 'cameras', 'incidents', 'risk_sources', 'key_places']) await page.uncheck(`[data-layer="${g}"]`);
  await page.evaluate((ring) => {
    const xs = ring.map((q) => q[0]);
    const ys = ring.map((q) => q[1]);
    window.riskmap.map.fitBounds([Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)], { padding: 150, duration: 0 });
  }, at.ring);
  await mapIdle(page);
  const tint = () => gridPixels(page, at.ring);
  const tintBefore = await tint();
  assert(tintBefore.inside >= 20 && tintBefore.orange <= tintBefore.inside * 0.1, `the grid on screen, not orange: ${JSON.stringify(tintBefore)}`);
  const before = await eventually(async () => (await renderedLevels(page, [grid.code]))[grid.code] !== undefined && renderedLevels(page, [grid.code]), { message: 'the grid drawn' });
  assert(before[grid.code] === 0, `the grid starts with no shading, got level ${before[grid.code]}`);
  const category = await categoryFor(disp, []);
  const sent = Date.now();
  const incident = await api(disp, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'emergency', lon: at.lon, lat: at.lat, description: 'e2e: 风险研判' });
  assert(incident.grid === grid.code, `reported into ${grid.code}, got ${incident.grid}`);
  await eventually(async () => (await renderedLevels(page, [grid.code]))[grid.code] === 2, { timeoutMs: 2000, intervalMs: 20, message: `grid ${grid.code} orange (level 2)` });
  const took = Date.now() - sent;
  const row = await api(disp, 'GET', `/api/risk/grids/${grid.code}`);
  assert(row.level === 2 && row.colour === 'orange' && row.score === 24, `the server scores it 24, orange: ${row.score} ${row.colour}`);
  console.log(`     report → grid orange on the screen: ${took} ms`);
  // The shading is orange: most of the grid's pixels.
  const tintAfter = await eventually(async () => {
    const n = await tint();
    return n.orange >= n.inside * 0.8 ? n : null;
  }, { message: `the grid's pixels orange (before: ${JSON.stringify(tintBefore)})` });
  console.log(`     orange pixels of the grid: ${tintBefore.orange}/${tintBefore.inside} → ${tintAfter.orange}/${tintAfter.inside}`);
  await api(disp, 'POST', `/api/incidents/${incident.id}/actions`, { action: 'reject', comment: 'e2e: 测试完毕' });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});

test('risk 风险研判: clicking a grid shows its breakdown (the factors of the API) and its trend; in English too', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser);
  const disp = await token('dispatcher');
  const [top] = (await api(disp, 'GET', '/api/risk/grids?limit=1')).grids;
  const detail = await api(disp, 'GET', `/api/risk/grids/${top.code}`);
  const f = await api(disp, 'GET', `/ogc/collections/areas/items/${top.code}`);
  const p = inside(f.geometry);
  // Markers could take the click: the operator hides them first.
  for (const g of ['staff', 'cameras', 'incidents', 'risk_sources', 'key_places']) await page.uncheck(`[data-layer="${g}"]`);
  await page.evaluate((parent) => window.riskmap.setScope(parent, 'jump'), top.parent);
  await mapIdle(page);
  const xy = await page.evaluate((p) => {
    const m = window.riskmap.map;
    const q = m.project([p.longitude, p.latitude]);
    const r = m.getCanvas().getBoundingClientRect();
    return { x: r.left + q.x, y: r.top + q.y };
  }, p);
  await page.mouse.click(xy.x, xy.y);
  await page.waitForSelector(`[data-testid="risk-panel"][data-grid="${top.code}"] [data-testid="risk-factor"]`);
  const ids = await page.$$eval('[data-testid="risk-panel"] [data-testid="risk-factor"]', (rows) => rows.map((r) => `${r.dataset.kind}:${r.dataset.id}`));
  const want = detail.factors.map((x) => `${x.kind}:${x.id}`);
  assert(JSON.stringify(ids) === JSON.stringify(want), `the factors of the API, in order: ${ids.join(',')} vs ${want.join(',')}`);
  assert(Number(await page.getAttribute('[data-testid="risk-level"]', 'data-level')) === detail.level, 'the level badge');
  assert(Number(await page.textContent('[data-testid="risk-score"]')) === Math.round(detail.score * 10) / 10, 'the score');
  const days = Number(await page.getAttribute('[data-testid="risk-trend"]', 'data-days'));
  assert(days === detail.trend.length && days >= 1, `the trend's ${detail.trend.length} days drawn, got ${days}`);
  await mapIdle(page);
  await page.screenshot({ path: `${SHOTS}/risk-panel-zh.png` });
  await page.click('[data-lang]');
  await eventually(async () => (await page.textContent('[data-testid="risk-panel"] h2')) === 'Grid risk', { message: 'the panel in English' });
  await page.screenshot({ path: `${SHOTS}/risk-panel-en.png` });
  await page.click('[data-lang]');
  await page.click('[data-testid="risk-panel"] [data-close]');
  assert(await page.$eval('[data-testid="risk-panel"]', (e) => e.hidden), 'closed');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});

test('risk 研判分析: hexagons on the map, a bar per day, top grids fly there; hidden when closed', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser);
  await page.click('[data-testid="analysis-toggle"]');
  await page.waitForFunction(() => window.riskmap.analysis.loads > 0);
  const bars = await page.$$eval('[data-testid="analysis-panel"] [data-testid="day-bar"]', (b) => b.length);
  assert(bars === 31, `31 bars for 30 days (today included), got ${bars}`);
  const data = await page.evaluate(() => window.riskmap.analysis.data);
  assert(data.total > 0 && data.heat.length > 0, `incidents in the last 30 days: ${data.total}`);
  await mapIdle(page);
  const hexes = await eventually(() => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['analysis-heat-fill'] }).length), { message: 'hexagons drawn' });
  assert(hexes > 0, 'hexagons drawn');
  await page.screenshot({ path: `${SHOTS}/risk-analysis-zh.png` });
  // 7 days: 8 bars.
  const loads = await page.evaluate(() => window.riskmap.analysis.loads);
  await page.click('[data-testid="analysis-panel"] [data-days="7"]');
  await page.waitForFunction((n) => window.riskmap.analysis.loads > n, loads);
  assert((await page.$$('[data-testid="day-bar"]')).length === 8, '8 bars for 7 days');
  // A top grid: the map flies there and its risk opens.
  const grid = await page.getAttribute('[data-testid="top-grids"] [data-grid]', 'data-grid');
  await page.click(`[data-testid="top-grids"] [data-grid="${grid}"]`);
  await page.waitForSelector(`[data-testid="risk-panel"][data-grid="${grid}"] .score`);
  await mapIdle(page);
  const centre = await page.evaluate(() => window.riskmap.map.getCenter().toArray());
  const node = await page.evaluate((c) => window.riskmap.tree.byCode.get(c).bbox, grid);
  assert(centre[0] >= node[0] && centre[0] <= node[2] && centre[1] >= node[1] && centre[1] <= node[3], 'the map over the grid');
  await page.click('[data-lang]');
  await eventually(async () => (await page.textContent('[data-testid="analysis-panel"] h2')).startsWith('Analysis'), { message: 'English' });
  await page.click('[data-testid="analysis-panel"] [data-days="30"]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="day-bar"]').length === 31);
  await page.screenshot({ path: `${SHOTS}/risk-analysis-en.png` });
  await page.click('[data-lang]');
  await page.click('[data-testid="analysis-panel"] [data-close]');
  const vis = await page.evaluate(() => window.riskmap.map.getLayoutProperty('analysis-heat-fill', 'visibility'));
  assert(vis === 'none', 'the hexagons hidden when closed');
  assert((await page.getAttribute('[data-testid="analysis-toggle"]', 'aria-pressed')) === 'false', 'the toggle says closed');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});
