// 人员 below street zoom: the staff as H3 hexagons with their counts (every
// member of the drill-down's scope in exactly one), a popup by role and duty
// on a count, the district's own after drilling down, and markers again from
// street zoom (staffLayer.ts).

import { assert, eventually, test } from './harness.mjs';
import { cityOnline, mapIdle, openScreen, SHOTS } from './support.mjs';

/** The drawn resolution's cells added up, against the members of the scope the store holds. */
const tally = (page) =>
  page.evaluate(() => {
    const s = window.riskmap;
    const res = s.map.queryRenderedFeatures({ layers: ['staff-hex-fill'] })[0]?.properties.res;
    if (res === undefined) return null;
    const inHexes = [...s.staffLayer.aggregate.cellsAt(res)].reduce((n, c) => n + c.n, 0);
    const inScope = [...s.staff.byId.values()].filter((m) => s.inScope(m.grid)).length;
    return { res, inHexes, inScope };
  });

test('staff below street zoom: hexagons with counts, a popup by role and duty, the drill-down’s own; markers from street zoom', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser);
  await cityOnline(page);
  const city = await eventually(async () => {
    const t = await tally(page);
    return t && t.inHexes === t.inScope && t.inScope > 1000 ? t : null;
  }, { message: 'every member of the city in one hexagon' });
  assert(city.res === 6, `the city at zoom ${await page.evaluate(() => window.riskmap.map.getZoom())} in resolution-6 cells, got ${city.res}`);
  assert((await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['staff-point'] }).length)) === 0, 'no markers at city zoom');

  // A click on a hexagon's count: its members by role and by duty.
  const target = await eventually(() => page.evaluate(() => {
    const m = window.riskmap.map;
    const r = m.getCanvas().getBoundingClientRect();
    const labels = m.queryRenderedFeatures({ layers: ['staff-hex-count'] }).sort((a, b) => b.properties.n - a.properties.n);
    for (const f of labels) {
      const p = m.project(f.geometry.coordinates);
      const x = r.left + p.x;
      const y = r.top + p.y;
      // Clear of the panels, and of the markers that take a click first (incidents, cameras).
      const near = m.queryRenderedFeatures([[p.x - 10, p.y - 10], [p.x + 10, p.y + 10]], { layers: ['incident-point', 'camera-point', 'camera-cluster'] });
      if (near.length === 0 && document.elementFromPoint(x, y) === m.getCanvas()) return { x, y, n: f.properties.n, cell: f.properties.cell };
    }
    return null;
  }), { message: 'a hexagon count clear of the panels and of other markers' });
  await page.mouse.click(target.x, target.y);
  const popup = '[data-testid="staff-hex-popup"]';
  await page.waitForSelector(popup);
  const shown = await page.$eval(popup, (el) => {
    const rows = [...el.querySelectorAll('tr')];
    const split = rows.findIndex((r, i) => i > 0 && r.querySelector('th'));
    const sum = (rs) => rs.reduce((n, r) => n + Number(r.querySelector('td.n')?.textContent ?? 0), 0);
    return { cell: el.dataset.cell, n: Number(el.dataset.n), byRole: sum(rows.slice(1, split)), byDuty: sum(rows.slice(split + 1, -1)), text: el.textContent };
  });
  assert(shown.cell === target.cell, `the popup of the hexagon clicked: ${shown.cell} vs ${target.cell}`);
  // (the simulator walks people across edges meanwhile: a few either way)
  assert(Math.abs(shown.n - target.n) <= 5, `the popup's ${shown.n} against the label's ${target.n}`);
  assert(shown.byRole === shown.n && shown.byDuty === shown.n, `by role ${shown.byRole} and by duty ${shown.byDuty} both add up to ${shown.n}`);
  assert(shown.text.includes(`该区域人员 ${shown.n} 人`) && shown.text.includes('网格员') && shown.text.includes('在岗'), `the popup in Chinese: ${shown.text}`);
  await page.screenshot({ path: `${SHOTS}/screen-staff-hex.png` });
  await page.click('[data-lang]');
  await page.mouse.click(target.x, target.y);
  await eventually(async () => (await page.textContent(popup).catch(() => '')).includes('staff in this hexagon'), { message: 'the popup in English' });
  await page.screenshot({ path: `${SHOTS}/screen-staff-hex-en.png` });
  await page.click('[data-lang]');

  // Drilled into a district: only its staff are counted.
  const district = await page.$eval('[data-testid="drill-select"] option[value]:not([value=""])', (o) => o.value);
  await page.selectOption('[data-testid="drill-select"]', district);
  await page.waitForFunction((code) => window.riskmap.scope?.code === code, district);
  await mapIdle(page);
  const scoped = await eventually(async () => {
    const t = await tally(page);
    return t && t.inHexes === t.inScope && t.inScope > 0 && t.inScope < city.inScope ? t : null;
  }, { message: "the district's members only, each in one hexagon" });
  console.log(`     city: ${city.inScope} staff in res-${city.res} hexagons; district ${district}: ${scoped.inScope} in res-${scoped.res}`);

  // Street zoom: markers, no hexagons.
  await page.evaluate(() => window.riskmap.map.jumpTo({ center: [120.655, 28.015], zoom: 14.5 }));
  await mapIdle(page);
  await eventually(() => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['staff-point'] }).length > 0), { message: 'markers at street zoom' });
  assert((await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['staff-hex-fill'] }).length)) === 0, 'no hexagons at street zoom');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });
