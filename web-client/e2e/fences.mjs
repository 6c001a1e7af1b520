// 电子围栏 (geofences): the city's administrator saves a fence through the
// API (a small square round the middle of the field worker's grid, 进入提醒
// only); the admin page's 电子围栏 tab lists it (name, the crossings in words,
// who saved it), imports a second one from a .geojson file (添加, POST) and
// says the server's count, and says why a bad file is refused (here, and by
// the server with its own words); the big screen's 电子围栏 switch reads
// GET /api/fences and draws both (dashed outline, faint fill), a click inside
// one opens its popup, switching it off and on reads them again; Chinese and
// English screenshots; then both are deleted through the tab (asked first)
// and are gone from the list, the API and the map — the open screen told by
// the server (layer_changed), without a reload or a touch. The fences only live
// during the test (deleted in the end whatever happened), so the alerts a
// worker crossing them might raise do not outlast it.

import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, fieldWorker, login, mapIdle, openScreen, pixelOf, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const DESK = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };
/** The groups whose markers would take a click on the map before the fence does. */
const MARKERS = ['staff', 'cameras', 'incidents'];

/** A square of half-side `r` degrees round a point, shifted by (dx, dy) degrees, as a GeoJSON Polygon. */
function square({ longitude, latitude }, r, dx = 0, dy = 0) {
  const [w, e, s, n] = [longitude + dx - r, longitude + dx + r, latitude + dy - r, latitude + dy + r].map((v) => Number(v.toFixed(6)));
  return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

/** How many of a fence's features the map draws in a layer. */
const drawn = (page, layer, id) =>
  page.evaluate(({ layer, id }) => window.riskmap.map.queryRenderedFeatures({ layers: [layer], filter: ['==', ['get', 'id'], id] }).length, { layer, id });

/** A .geojson file for the import form. */
const file = (name, json) => ({ name, mimeType: 'application/geo+json', buffer: Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)) });

test('geofences 电子围栏: a fence saved through the API is listed on /admin#fences, one more imported from a file, both drawn on the big screen with a popup, deleted through the tab; Chinese and English', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const admin = await token('admin', ADMIN_PASSWORD);
  const { here } = await fieldWorker();
  const stamp = Date.now();
  // A: 60 m or so across, round the middle of the worker's grid; B: a small square inside A's north-east quarter.
  const a = { id: `e2e-fence-a-${stamp}`, name: `测试围栏·水库警戒区 ${stamp}` };
  const b = { id: `e2e-fence-b-${stamp}`, name: `测试围栏·工地 ${stamp}` };
  const saved = await api(admin, 'POST', '/api/fences', {
    type: 'Feature', id: a.id, geometry: square(here, 0.0003), properties: { name: a.name, detect: ['enter'] },
  });
  assert(saved.saved === 1 && saved.removed === 0, `the fence saved: ${JSON.stringify(saved)}`);
  const listed = (await api(admin, 'GET', '/api/fences')).features.find((f) => f.id === a.id);
  assert(listed && listed.properties.name === a.name && listed.properties.updated_by === 'admin', `GET /api/fences lists it: ${JSON.stringify(listed?.properties)}`);
  console.log(`     fence ${a.id} round ${here.longitude}, ${here.latitude}`);

  const desk = await browser.newContext(DESK);
  const opened = [desk];
  try {
    // ---- /admin#fences: the fence listed ----------------------------------------
    const page = await desk.newPage();
    const errors = watchErrors(page);
    await login(page, '/admin#fences', 'admin', ADMIN_PASSWORD);
    const rowA = `[data-testid="fences-table"] tr[data-fence="${a.id}"]`;
    await page.waitForSelector(rowA, { timeout: 30_000 });
    assert((await page.getAttribute('[data-testid="tab-fences"]', 'aria-selected')) === 'true', 'the 电子围栏 tab shown by the address');
    assert((await page.textContent(`${rowA} td.name`)) === a.name, 'listed by name');
    assert((await page.textContent(`${rowA} td.detect`)) === '进入提醒', `the crossings in words: ${await page.textContent(`${rowA} td.detect`)}`);
    assert((await page.textContent(`${rowA} td.updated-by`)) === 'admin', 'who saved it');
    assert(/^\d\d-\d\d \d\d:\d\d$/.test(await page.textContent(`${rowA} td.updated-at`)), 'when it was saved');
    assert(/共 \d+ 个围栏/.test(await page.textContent('[data-testid="fence-count"]')), 'the count');

    // ---- 导入围栏: refused here, refused by the server, then B added ----------------
    const flash = '[data-testid="fence-import-flash"]';
    await page.setInputFiles('[data-testid="fence-file"]', file('not-geojson.geojson', '{"hello": 1}'));
    await page.click('[data-testid="fence-import-submit"]');
    await eventually(async () => (await page.textContent(flash)).includes('未导入'), { message: 'a file that is no GeoJSON refused before sending' });
    assert((await page.getAttribute(flash, 'class')).includes('error'), 'said as an error');
    const bad = { type: 'Feature', id: `${b.id}-bad`, geometry: square(here, 0.0001, 0.00015, 0.00015), properties: { name: b.name, detect: ['dwell'] } };
    await page.setInputFiles('[data-testid="fence-file"]', file('bad-detect.geojson', bad));
    await page.click('[data-testid="fence-import-submit"]');
    await eventually(async () => (await page.getAttribute(flash, 'data-status')) === '400', { message: "the server's refusal" });
    const refusal = await page.textContent(flash);
    assert(refusal.includes('围栏数据有误') && refusal.includes('properties.detect'), `the sentence and the server's own words: ${refusal}`);
    await page.screenshot({ path: `${SHOTS}/fences-admin-refused.png`, fullPage: true });
    const good = { type: 'FeatureCollection', features: [{ ...bad, id: b.id, properties: { name: b.name } }] };
    await page.setInputFiles('[data-testid="fence-file"]', file('fences.geojson', good));
    assert(await page.isChecked('[data-testid="fence-mode-add"]'), '添加 chosen by default');
    await page.click('[data-testid="fence-import-submit"]');
    await eventually(async () => (await page.textContent(flash)) === '已保存 1 个围栏', { message: "the server's count said" });
    const rowB = `[data-testid="fences-table"] tr[data-fence="${b.id}"]`;
    await page.waitForSelector(rowB);
    assert((await page.textContent(`${rowB} td.detect`)) === '进入、离开提醒', 'no detect: both crossings');
    assert(await page.$(rowA), 'the first one kept (added, not replaced)');
    assert(!(await api(admin, 'GET', '/api/fences')).features.some((f) => f.id === bad.id), 'nothing saved of the refused file');
    await page.fill('[data-testid="fence-filter"]', String(stamp));
    await eventually(async () => (await page.$$('[data-testid="fences-table"] tr[data-fence]')).length === 2, { message: 'the search keeps the two fences of the test' });
    await page.screenshot({ path: `${SHOTS}/fences-admin-zh.png`, fullPage: true });
    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent('[data-testid="tab-fences"]')) === 'Geofences', { message: 'the admin page in English' });
    assert((await page.textContent(`${rowA} td.detect`)) === 'Alert on entering', 'the crossings in English');
    const words = await page.$$eval(
      '[data-testid="fences-section"] h2, [data-testid="fences-section"] th, [data-testid="fences-section"] button, [data-testid="fence-import-section"] h2, [data-testid="fence-import-section"] legend, [data-testid="fence-import-section"] label, [data-testid="fence-import-section"] button',
      (e) => e.map((x) => x.textContent).join(' '),
    );
    assert(!HAN.test(words), `the 电子围栏 tab in English: ${words}`);
    await page.screenshot({ path: `${SHOTS}/fences-admin-en.png`, fullPage: true });
    await page.click('[data-lang]');
    await page.waitForSelector(rowB);

    // ---- the big screen: 电子围栏 switched on, both drawn, A's popup ---------------
    const screen = await openScreen(browser);
    opened.push(screen.context);
    const s = screen.page;
    assert(!(await s.isChecked('[data-layer="fences"]')), '电子围栏 off at first');
    assert((await s.textContent('#layers')).includes('电子围栏'), 'the switch named');
    for (const g of MARKERS) await s.uncheck(`[data-layer="${g}"]`);
    await s.evaluate((p) => window.riskmap.map.jumpTo({ center: [p.longitude, p.latitude], zoom: 18 }), here);
    await s.check('[data-layer="fences"]');
    await s.waitForFunction(() => window.riskmap.fences.loads >= 1, null, { timeout: 20_000 });
    const read = await s.evaluate(() => window.riskmap.fences.fences.map((f) => f.id));
    assert(read.includes(a.id) && read.includes(b.id), `GET /api/fences read by the screen: ${read.length} fences`);
    await mapIdle(s);
    for (const f of [a, b]) {
      const n = await eventually(async () => (await drawn(s, 'fence-line', f.id)) && (await drawn(s, 'fence-fill', f.id)), { message: `${f.id} drawn (outline and fill)` });
      assert(n > 0, `${f.id} drawn`);
    }
    assert((await s.evaluate(() => window.riskmap.map.getLayoutProperty('fence-line', 'visibility'))) === 'visible', 'the outline shown');
    // A click inside A, away from B: its popup.
    const xy = await pixelOf(s, { longitude: here.longitude - 0.00015, latitude: here.latitude - 0.00015 });
    await s.mouse.click(xy.x, xy.y);
    const popup = `[data-testid="fence-popup"][data-fence="${a.id}"]`;
    await s.waitForSelector(popup);
    assert((await s.textContent(`${popup} [data-testid="fence-popup-name"]`)) === a.name, 'the popup names it');
    assert((await s.textContent(`${popup} [data-testid="fence-popup-detect"]`)) === '进入提醒', 'the popup says what it reports');
    await s.waitForTimeout(300);
    await s.screenshot({ path: `${SHOTS}/fences-screen-zh.png` });
    await s.click('[data-lang]');
    await eventually(async () => (await s.textContent(`${popup} [data-testid="fence-popup-detect"]`)) === 'Alert on entering', { message: 'the popup in English' });
    assert((await s.textContent('#layers')).includes('Geofences'), 'the switch in English');
    await s.screenshot({ path: `${SHOTS}/fences-screen-en.png` });
    await s.click('[data-lang]');
    // Off and on again: read again.
    const loads = await s.evaluate(() => window.riskmap.fences.loads);
    await s.uncheck('[data-layer="fences"]');
    assert(await s.isHidden(popup), 'the popup closed with the layer');
    assert((await s.evaluate(() => window.riskmap.map.getLayoutProperty('fence-line', 'visibility'))) === 'none', 'the outline hidden');
    await s.check('[data-layer="fences"]');
    await s.waitForFunction((n) => window.riskmap.fences.loads > n, loads);

    // ---- deleted through the tab, asked first ---------------------------------------
    const before = await s.evaluate(() => window.riskmap.fences.loads);
    for (const [f, row] of [[a, rowA], [b, rowB]]) {
      await page.click(`${row} [data-testid="fence-delete"]`);
      await page.waitForSelector('[data-testid="confirm"]');
      assert((await page.textContent('[data-testid="confirm"]')).includes(f.name), 'asked first, naming the fence');
      if (f === a) await page.screenshot({ path: `${SHOTS}/fences-admin-confirm-delete.png` });
      await page.click('[data-testid="confirm"] [data-ok]');
      await page.waitForSelector(row, { state: 'detached' });
      assert((await page.textContent('[data-testid="fence-flash"]')).includes('已删除'), 'the deletion said');
    }
    const left = (await api(admin, 'GET', '/api/fences')).features.map((f) => f.id);
    assert(!left.includes(a.id) && !left.includes(b.id), 'gone from GET /api/fences');
    assert((await page.textContent('[data-testid="fence-none"]').catch(() => '')).length > 0, 'the search finds none of them now');
    // The screen, told by the server (layer_changed), reads them again without a touch and draws neither.
    await s.waitForFunction((n) => window.riskmap.fences.loads > n, before, { timeout: 10_000 });
    await mapIdle(s);
    await eventually(async () => (await drawn(s, 'fence-fill', a.id)) + (await drawn(s, 'fence-fill', b.id)) === 0, { message: 'the fences gone from the map' });
    assert(errors.length === 0 && screen.errors.length === 0, `page errors: ${[...errors, ...screen.errors].join('; ')}`);
  } finally {
    for (const c of opened) await c.close();
    // Whatever happened, no test fence outlives the test.
    for (const id of [a.id, b.id]) await api(admin, 'DELETE', `/api/fences/${encodeURIComponent(id)}`).catch(() => undefined);
  }
}, { timeoutMs: 150_000 });
