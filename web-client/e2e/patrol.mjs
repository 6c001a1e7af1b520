// 巡查覆盖 on the big screen: the field worker walks a small loop inside their
// grid (fixes posted as the `field` login, as their phone shares them); the
// dispatcher switches 巡查覆盖 on: the risk shading goes off, the legend
// counts the drilled area's grids by status as GET /api/patrol/coverage
// does, the worker's grid is shaded as visited (部分覆盖 or 已覆盖), a click
// on it opens its figures, and the day's 巡查台账 downloads as CSV. The
// worker's day card (当日巡查), opened from their popup, shows the distance
// and fixes of GET /api/patrol/staff/{id}, the grids they were in and the
// day's track on the map, and an earlier day. Chinese and English.
// The worker is left inside their grid where the loop ended, as of now
// (the other tests read their position; the simulator leaves them alone).

import { assert, eventually, test } from './harness.mjs';
import { api, BASE, featurePixel, fieldWorker, mapIdle, openScreen, pixelOf, SHOTS } from './support.mjs';

const STATUSES = ['covered', 'partly', 'none', 'overdue'];
const VISITED = ['partly', 'covered'];
const MARKERS = ['staff', 'cameras', 'incidents', 'risk_sources', 'key_places'];
/** Fixes in the loop. */
const N = 12;

/** The walk, made once for the tests of this file (each may run alone). */
let walked = null;
const walk = () => (walked ??= postWalk());

async function postWalk() {
  const w = await fieldWorker();
  const { disp, fieldTok, staffId, here } = w;
  const grid = (await api(fieldTok, 'GET', '/api/me')).user.area;
  // A loop round the grid's middle, every point inside the grid (a narrower one for a small grid).
  let points = null;
  for (const r of [0.0004, 0.0002, 0.0001]) {
    const loop = Array.from({ length: N }, (_, k) => ({
      lon: Number((here.longitude + r * Math.cos((2 * Math.PI * k) / N)).toFixed(6)),
      lat: Number((here.latitude + r * Math.sin((2 * Math.PI * k) / N)).toFixed(6)),
    }));
    const located = await Promise.all(loop.map((p) => api(disp, 'GET', `/api/dispatch/locate?lon=${p.lon}&lat=${p.lat}`)));
    if (located.every((l) => l.grid?.code === grid)) {
      points = loop;
      break;
    }
  }
  assert(points, `a loop of points inside the field worker's grid ${grid}`);
  // Newer than their last fix (an older one stays in the track only and
  // counts for no patrol), at least 2 s apart (a walk, not a jump), the last now.
  const last = (await api(disp, 'GET', `/api/staff/${staffId}`)).t ?? 0;
  const wait = last + 1000 + N * 2000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const now = Date.now();
  const step = Math.min(10_000, Math.floor((now - last - 1000) / N));
  const fixes = points.map((p, k) => ({ ...p, t: now - (N - 1 - k) * step, accuracy: 6 }));
  const ack = await api(fieldTok, 'POST', '/api/fixes', { fixes });
  assert(ack.applied === N, `the ${N} fixes applied: ${JSON.stringify(ack)}`);
  // The server's own figures: the grid visited, the walk on the worker's day.
  const mine = (await api(disp, 'GET', `/api/patrol/coverage?area=${grid}`)).grids.find((g) => g.code === grid);
  assert(mine && mine.visits >= 1 && VISITED.includes(mine.status), `the worker's grid visited: ${JSON.stringify(mine)}`);
  const card = await api(disp, 'GET', `/api/patrol/staff/${staffId}`);
  assert(card.fixes >= N && card.grids.some((g) => g.code === grid), `the walk on the day card: ${card.fixes} fixes, grids ${card.grids.map((g) => g.code)}`);
  return { ...w, grid, points };
}

const legendCounts = (page) =>
  page.$$eval('[data-testid="patrol-legend"] [data-count]', (els) => Object.fromEntries(els.map((e) => [e.dataset.count, Number(e.textContent)])));

const sameCounts = (a, b) => STATUSES.every((s) => a[s] === b[s]);

/** YYYY-MM-DD, one day earlier. */
function dayBefore(day) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

test("patrol 巡查覆盖: the worker's grid shaded as visited, the legend counts the drilled area as the API does, a grid's figures on click, 巡查台账 as CSV; in English too", async ({ browser }) => {
  const w = await walk();
  const { context, page, errors } = await openScreen(browser);
  // Switched on: the grids take the patrol shading instead of the risk one.
  await page.check('[data-layer="patrol"]');
  assert(!(await page.isChecked('[data-layer="grid_risk"]')), 'the risk shading switched off');
  assert(await page.isHidden('[data-testid="risk-legend"]'), 'the risk legend hidden');
  await page.waitForSelector('[data-testid="patrol-legend"]', { state: 'visible' });
  await page.waitForFunction(() => window.riskmap.patrol.loads >= 1, null, { timeout: 30_000 });
  const home = await page.evaluate(() => ({ area: window.riskmap.patrol.area, data: window.riskmap.patrol.data }));
  const homeApi = await api(w.disp, 'GET', `/api/patrol/coverage?area=${home.area}`);
  assert(home.data.grids.length === homeApi.grids.length && homeApi.grids.length > 0, `every grid of the login's area: ${home.data.grids.length} vs ${homeApi.grids.length}`);
  assert(home.data.day === homeApi.day && (await page.getAttribute('[data-testid="patrol-legend"]', 'data-day')) === homeApi.day, `today, the server's date ${homeApi.day}`);
  const shown = await legendCounts(page);
  assert(sameCounts(shown, home.data.counts), `the legend says what the screen read: ${JSON.stringify(shown)} vs ${JSON.stringify(home.data.counts)}`);
  assert(STATUSES.reduce((n, s) => n + shown[s], 0) === homeApi.grids.length, 'the legend counts every grid');
  assert(!!(await page.$('[data-testid="patrol-incomplete"]')) === !home.data.complete, 'the note while the server reads today back, only then');

  // Drilled to the worker's community: the legend follows it (area=), the worker's grid shaded as visited.
  const community = await page.evaluate((g) => window.riskmap.tree.byCode.get(g).parent, w.grid);
  for (const g of MARKERS) await page.uncheck(`[data-layer="${g}"]`);
  const loads = await page.evaluate(() => window.riskmap.patrol.loads);
  await page.evaluate((c) => window.riskmap.setScope(c, 'jump'), community);
  await page.waitForFunction(({ c, n }) => window.riskmap.patrol.loads > n && window.riskmap.patrol.area === c && window.riskmap.patrol.data !== null, { c: community, n: loads });
  assert((await page.getAttribute('[data-testid="patrol-legend"]', 'data-area')) === community, 'the legend of the community');
  const name = await page.evaluate((c) => window.riskmap.tree.byCode.get(c).name, community);
  assert((await page.textContent('[data-testid="patrol-legend"] h3')).includes(name), `the legend names ${name}`);
  // The legend as GET /api/patrol/coverage?area= (read again by the screen every 30 s: the simulator walks others meanwhile).
  const agreed = await eventually(async () => {
    const [want, got] = [await api(w.disp, 'GET', `/api/patrol/coverage?area=${community}`), await legendCounts(page)];
    return sameCounts(got, want.counts) && STATUSES.reduce((n, s) => n + got[s], 0) === want.grids.length ? { want, got } : null;
  }, { timeoutMs: 40_000, intervalMs: 1000, message: "the legend's counts those of GET /api/patrol/coverage for the community" });
  console.log(`     ${name}: ${STATUSES.map((s) => `${s} ${agreed.got[s]}`).join(', ')}`);
  const mine = agreed.want.grids.find((g) => g.code === w.grid);
  assert(mine && VISITED.includes(mine.status), `the worker's grid visited: ${JSON.stringify(mine)}`);
  await page.evaluate((p) => window.riskmap.map.jumpTo({ center: [p.longitude, p.latitude] }), w.here);
  await mapIdle(page);
  const painted = await eventually(
    () => page.evaluate((code) => window.riskmap.map.queryRenderedFeatures({ layers: ['grid-patrol-fill'] }).find((f) => f.properties.code === code)?.state.patrol, w.grid),
    { message: "the worker's grid drawn with its status" },
  );
  assert(VISITED.includes(painted), `the worker's grid shaded as visited, got ${painted}`);

  // A click on the grid: its figures against its rule.
  const xy = await pixelOf(page, w.here);
  await page.mouse.click(xy.x, xy.y);
  const popup = `[data-testid="patrol-popup"][data-grid="${w.grid}"]`;
  await page.waitForSelector(popup);
  await eventually(async () => {
    const want = await page.evaluate((code) => {
      const g = window.riskmap.patrol.data?.grids.find((x) => x.code === code);
      return g && { status: g.status, visits: `${g.visits} / ${g.rule.visits_per_day} 次` };
    }, w.grid);
    const got = { status: await page.getAttribute(popup, 'data-status'), visits: await page.textContent(`${popup} [data-figure="visits"]`) };
    return want && VISITED.includes(got.status) && got.status === want.status && got.visits === want.visits;
  }, { message: "the popup's status and visits those the screen read" });
  const coverage = await page.textContent(`${popup} [data-figure="coverage"]`);
  assert(/^\d+(\.\d)?%（要求 \d+(\.\d)?%）$/.test(coverage), `coverage against the rule: ${coverage}`);
  await mapIdle(page);
  await page.screenshot({ path: `${SHOTS}/patrol-coverage-zh.png` });

  // 巡查台账: the day's log of the area shown (now the grid clicked into), fetched with the token and saved.
  const csv = '[data-testid="patrol-csv"]';
  await page.waitForFunction((g) => document.querySelector('[data-testid="patrol-csv"]')?.getAttribute('href').includes(`area=${g}`), w.grid);
  const href = await page.getAttribute(csv, 'href');
  const day = await page.getAttribute('[data-testid="patrol-legend"]', 'data-day');
  const q = new URL(href, BASE).searchParams;
  assert(q.get('format') === 'csv' && q.get('day') === day && q.get('area') === w.grid, `the CSV asks for the day and the area: ${href}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(csv)]);
  assert(download.suggestedFilename() === `巡查台账-${day}.csv`, `saved as 巡查台账-${day}.csv: ${download.suggestedFilename()}`);
  const r = await fetch(new URL(href, BASE), { headers: { authorization: `Bearer ${w.disp}` } });
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert(r.ok && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'UTF-8 with a BOM');
  const lines = new TextDecoder().decode(bytes).replace(/^\uFEFF/, '').trim().split(/\r?\n/);
  assert(lines[0].startsWith('day,staff_id,staff_name,grid'), `the header: ${lines[0]}`);
  assert(lines.some((l) => l.startsWith(`${day},${w.staffId},`) && l.includes(`,${w.grid},`)), `the worker's row in the grid: ${lines.slice(0, 5).join(' | ')}`);

  // In English.
  await page.click('[data-lang]');
  await eventually(async () => (await page.textContent('[data-testid="patrol-legend"] h3')).startsWith('Patrol coverage'), { message: 'the legend in English' });
  assert((await page.textContent('[data-testid="patrol-legend"]')).includes('Patrol log CSV'), 'the download in English');
  assert((await page.textContent(popup)).includes('Visits'), 'the popup in English');
  assert((await page.textContent('#layers')).includes('Patrol coverage'), 'the switch in English');
  // A long title (the English heading and a grid's name) is cut with an ellipsis inside the panel;
  // it once widened the panel's column, and the counts stood past its edge.
  const spill = await page.$eval('[data-testid="patrol-legend"]', (el) => el.scrollWidth - el.clientWidth);
  assert(spill <= 0, `the legend's contents fit its panel (${spill}px over)`);
  assert((await page.textContent('[data-testid="patrol-legend"]')).includes('Grids: 1'), 'the total in English');
  await page.screenshot({ path: `${SHOTS}/patrol-coverage-en.png` });
  await page.click('[data-lang]');

  // Off: the legend and the shading go.
  await page.uncheck('[data-layer="patrol"]');
  assert(await page.isHidden('[data-testid="patrol-legend"]'), 'the legend hidden');
  assert((await page.evaluate(() => window.riskmap.map.getLayoutProperty('grid-patrol-fill', 'visibility'))) === 'none', 'the shading hidden');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 150_000 });

test("patrol 当日巡查: the worker's day card from their popup shows the API's distance, fixes and grids and draws the day's track; an earlier day; in English too", async ({ browser }) => {
  const w = await walk();
  const { context, page, errors } = await openScreen(browser);
  for (const g of MARKERS.filter((g) => g !== 'staff')) await page.uncheck(`[data-layer="${g}"]`);
  // The worker, close up, on their own; their popup's 当日巡查.
  const at = await eventually(() => page.evaluate((id) => {
    const s = window.riskmap.staff.byId.get(id);
    return s ? [s.lon, s.lat] : null;
  }, w.staffId), { message: 'the worker on the screen' });
  await page.evaluate((c) => window.riskmap.map.jumpTo({ center: c, zoom: 18 }), at);
  await mapIdle(page);
  const pt = await eventually(() => featurePixel(page, 'staff-point', w.staffId), { message: "the worker's marker drawn" });
  await page.mouse.click(pt.x, pt.y);
  await page.click(`[data-patrol-staff="${w.staffId}"]`);
  await page.waitForFunction((id) => window.riskmap.patrol.card.staffId === id && window.riskmap.patrol.card.loads >= 1, w.staffId);
  const card = await api(w.disp, 'GET', `/api/patrol/staff/${w.staffId}`);
  const panel = '[data-testid="patrol-card"]';
  assert((await page.textContent(`${panel} h2`)).includes(card.name), `the worker's name: ${card.name}`);
  assert((await page.getAttribute(panel, 'data-day')) === card.day, `today, ${card.day}`);
  const fixes = Number(await page.textContent('[data-testid="patrol-fixes"]'));
  assert(fixes === card.fixes && fixes >= N, `the fixes of the API: ${fixes} vs ${card.fixes}`);
  const metres = Number(await page.getAttribute(`${panel} [data-figure="distance"]`, 'data-metres'));
  assert(Math.abs(metres - card.distance_m) < 0.5 && card.distance_m > 0, `the distance of the API: ${metres} vs ${card.distance_m}`);
  const km = await page.textContent('[data-testid="patrol-distance"]');
  assert(km === `${(card.distance_m / 1000).toFixed(2)} km`, `the distance in km: ${km}`);
  const rows = await page.$$eval('[data-testid="patrol-card-grids"] tbody tr', (tr) => tr.map((r) => r.dataset.grid));
  assert(JSON.stringify(rows) === JSON.stringify(card.grids.map((g) => g.code)) && rows.includes(w.grid), `the grids of the API, longest first: ${rows}`);
  // The day's track on the map (the card flies there).
  await mapIdle(page);
  const drawn = await eventually(() => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['patrol-track-line'] }).length), { message: "the day's track drawn" });
  assert(drawn > 0, 'the track drawn');
  await page.waitForTimeout(300);
  await page.screenshot({ path: `${SHOTS}/patrol-day-card-zh.png` });

  // An earlier day: the day before's card, then today's again.
  const yesterday = dayBefore(card.day);
  await page.fill('[data-testid="patrol-card-day"]', yesterday);
  await page.waitForFunction((d) => document.querySelector('[data-testid="patrol-card"]').dataset.day === d, yesterday, { timeout: 20_000 });
  const past = await api(w.disp, 'GET', `/api/patrol/staff/${w.staffId}?day=${yesterday}`);
  assert(Number(await page.textContent('[data-testid="patrol-fixes"]')) === past.fixes, `the day before's fixes: ${past.fixes}`);
  await page.fill('[data-testid="patrol-card-day"]', card.day);
  await page.waitForFunction((d) => document.querySelector('[data-testid="patrol-card"]').dataset.day === d, card.day);
  await page.waitForFunction(() => document.querySelector('[data-testid="patrol-fixes"]') !== null);

  // In English.
  await page.click('[data-lang]');
  await eventually(async () => (await page.textContent(`${panel} h2`)).startsWith('Patrol day'), { message: 'the card in English' });
  assert((await page.textContent(panel)).includes('Grids visited'), 'its table in English');
  await page.screenshot({ path: `${SHOTS}/patrol-day-card-en.png` });
  await page.click('[data-lang]');

  // Closed: the card and its track go.
  await page.click(`${panel} [data-close]`);
  assert(await page.isHidden(panel), 'the card closed');
  await eventually(async () => (await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['patrol-track-line'] }).length)) === 0, { message: 'the track cleared' });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });
