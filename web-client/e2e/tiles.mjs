// 矢量瓦片 (vector tiles): the big screen opened with `?tiles=1` on the demo
// city draws its static layers (areas, cameras, risk sources, key places)
// from GET /tiles/{layer}/{z}/{x}/{y}.mvt instead of downloading them whole
// from /ogc — what a city of 200,000 cameras gets by itself (web-client/
// src/screen/tileMode.ts). First the server's side, so that a server without
// tiles fails at once and says so (404, 401, the type, ETag → 304); then the
// screen: every static source a vector one, the tile requests carrying the
// login's token and answered 200 with the vector tile type, no whole-layer
// download of cameras, risk sources or key places, districts and risk sources
// (all four levels) drawn from tiles, the drilled district outlined, the
// layers panel's camera total being the server's numberMatched, cameras
// drawn at street zoom, a click on one opening its popup with its name (and
// its 实时视频 button when its OGC item has a stream), a live offline state
// greying it through feature-state and counted, and the view cones built
// from the tiles held when zoomed in close; Chinese and English screenshots.
// Without `?tiles` the demo city stays on GeoJSON, as every other test has it.

import { assert, eventually, test } from './harness.mjs';
import { api, BASE, login, mapIdle, openScreen, SHOTS, token, watchErrors } from './support.mjs';

const LAYERS = ['areas', 'cameras', 'risk_sources', 'key_places'];
const MVT = 'application/vnd.mapbox-vector-tile';
const TILE_PATH = /^\/tiles\/([a-z_]+)\/(\d+)\/(\d+)\/(\d+)\.mvt$/;
/** A street of the demo city with cameras (run.mjs zooms in here for the cones). */
const STREET = { center: [120.655, 28.015], zoom: 16 };
const NO_TILES = 'this server has no vector tiles (GET /tiles/{layer}/{z}/{x}/{y}.mvt, docs/protocol.md "Vector tiles")';

/** The page pixel of a camera drawn alone (no other camera within 12 px, nothing over the canvas there), and the camera. */
function loneCamera(page) {
  return page.evaluate(() => {
    const m = window.riskmap.map;
    const r = m.getCanvas().getBoundingClientRect();
    for (const f of m.queryRenderedFeatures({ layers: ['camera-point'] })) {
      // One camera, not a point standing for several (a click on those zooms in).
      if (Number(f.properties.count ?? 1) !== 1) continue;
      const p = m.project(f.geometry.coordinates);
      if (p.x < 200 || p.y < 120 || p.x > r.width - 200 || p.y > r.height - 120) continue;
      const near = m.queryRenderedFeatures([[p.x - 12, p.y - 12], [p.x + 12, p.y + 12]], { layers: ['camera-point', 'camera-cluster'] });
      const x = r.left + p.x;
      const y = r.top + p.y;
      if (near.length === 1 && document.elementFromPoint(x, y) === m.getCanvas()) {
        return { x, y, id: String(f.properties.id), name: String(f.properties.name), lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], range_m: Number(f.properties.range_m ?? 50) };
      }
    }
    return null;
  });
}

test('vector tiles 矢量瓦片: ?tiles=1 draws areas, cameras, risk sources and key places from /tiles/…mvt with the token; camera popup, live state, cones; Chinese and English', async ({ browser }) => {
  // ---- the server's tiles ---------------------------------------------------------
  const disp = await token('dispatcher');
  const z0 = `${BASE}/tiles/cameras/0/0/0.mvt`;
  const probe = await fetch(z0, { headers: { authorization: `Bearer ${disp}` } });
  const body = Buffer.from(await probe.arrayBuffer());
  assert(probe.status !== 404, `GET /tiles/cameras/0/0/0.mvt answered 404: ${NO_TILES}`);
  assert(probe.status === 200, `GET /tiles/cameras/0/0/0.mvt: ${probe.status} ${body.toString('utf8', 0, 300)}`);
  // (a server without tiles may answer its page, text/html, for any path)
  assert((probe.headers.get('content-type') ?? '').startsWith(MVT), `a tile's type is ${MVT}, got ${probe.headers.get('content-type')}: ${NO_TILES}?`);
  // An MVT layer (field 3) named "cameras" (field 1): the bytes 0x1a, length, 0x0a, 7, "cameras".
  assert(body.length > 0 && body.includes(Buffer.from([0x0a, 7, ...Buffer.from('cameras')])), `the zoom-0 tile holds a layer named "cameras" (${body.length} bytes)`);
  const etag = probe.headers.get('etag');
  assert(etag, 'a tile has an ETag');
  const again = await fetch(z0, { headers: { authorization: `Bearer ${disp}`, 'if-none-match': etag } });
  assert(again.status === 304, `an unchanged tile asked with If-None-Match answers 304, got ${again.status}`);
  const anon = await fetch(z0);
  assert(anon.status === 401, `a tile without the token is refused (401), got ${anon.status}`);
  const unknown = await fetch(`${BASE}/tiles/staff/0/0/0.mvt`, { headers: { authorization: `Bearer ${disp}` } });
  assert(unknown.status === 404, `an unknown layer answers 404, got ${unknown.status}`);
  const bad = await fetch(`${BASE}/tiles/cameras/1/2/0.mvt`, { headers: { authorization: `Bearer ${disp}` } });
  assert(bad.status === 400, `x out of 0..2^z answers 400, got ${bad.status}`);
  const totals = Object.fromEntries(await Promise.all(LAYERS.map(async (l) => [l, (await api(disp, 'GET', `/ogc/collections/${l}/items?limit=1`)).numberMatched])));
  console.log(`     the demo city: ${LAYERS.map((l) => `${totals[l]} ${l}`).join(', ')}`);

  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, locale: 'zh-CN' });
  try {
    const page = await context.newPage();
    const errors = watchErrors(page);
    // Every tile answer (MapLibre fetches them from its worker; Chromium reports those too), every /ogc request.
    const tiles = [];
    const failed = [];
    const ogc = [];
    const consoleErrors = [];
    page.on('response', async (r) => {
      const m = new URL(r.url()).pathname.match(TILE_PATH);
      if (!m) return;
      const sent = await r.request().allHeaders().catch(() => r.request().headers());
      tiles.push({ layer: m[1], z: Number(m[2]), status: r.status(), type: r.headers()['content-type'] ?? '', auth: sent.authorization ?? '' });
    });
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith('/ogc/collections/')) ogc.push(`${u.pathname}${u.search}`);
    });
    // (MapLibre aborts the tiles a moved view no longer needs: those are no failures)
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText ?? '';
      if (new URL(r.url()).pathname.startsWith('/tiles/') && !why.includes('ERR_ABORTED')) failed.push(`${r.url()}: ${why}`);
    });
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));

    await login(page, '/?tiles=1', 'dispatcher');
    await page.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree !== null, null, { timeout: 30_000 });
    const sources = await page.evaluate((ls) => Object.fromEntries(ls.map((l) => [l, window.riskmap.map.getSource(l)?.type ?? null])), LAYERS);
    assert(LAYERS.every((l) => sources[l] === 'vector'), `?tiles=1 puts every static layer on vector tiles: ${JSON.stringify(sources)}`);
    await mapIdle(page);

    // ---- the city: areas and risk sources from tiles ---------------------------------
    const byLayer = (l) => tiles.filter((t) => t.layer === l);
    for (const l of ['areas', 'risk_sources']) {
      await eventually(() => byLayer(l).some((t) => t.status === 200), { message: `a ${l} tile answered 200 (${failed.join('; ') || 'none failed'})` });
    }
    const districts = await eventually(
      () => page.evaluate(() => new Set(window.riskmap.map.queryRenderedFeatures({ layers: ['area-district-line'] }).map((f) => f.properties.id)).size),
      { message: 'district outlines drawn from the areas tiles' },
    );
    assert(districts >= 10, `the districts drawn from tiles, got ${districts}`);
    const risks = await eventually(
      () => page.evaluate(() => {
        const fs = window.riskmap.map.queryRenderedFeatures({ layers: ['risk-source-point', 'risk-source-line', 'risk-source-area'] });
        return fs.length ? { n: fs.length, levels: [...new Set(fs.map((f) => f.properties.level))].sort() } : null;
      }),
      { message: 'risk sources drawn from the tiles' },
    );
    assert(risks.levels.length === 4, `risk sources of all four levels drawn from tiles: ${risks.n} features, levels ${JSON.stringify(risks.levels)}`);
    // The layers panel's camera total is the server's count: the screen never holds them all.
    const count = await page.textContent('[data-testid="cameras-offline"]');
    assert(count.includes(`/${totals.cameras}`), `the layers panel counts ${totals.cameras} cameras (numberMatched): "${count}"`);

    // ---- the drill-down outlines the district from tiles -----------------------------
    const district = await page.$eval('[data-testid="drill-select"] option[value]:not([value=""])', (o) => o.value);
    await page.selectOption('[data-testid="drill-select"]', district);
    await page.waitForFunction((code) => window.riskmap.scope?.code === code, district);
    await mapIdle(page);
    const outlined = await eventually(
      () => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['area-selected-line'] }).length),
      { message: 'the drilled district outlined (area-selected-line on the areas tiles)' },
    );
    assert(outlined > 0, 'the drilled district outlined');

    // ---- street zoom: cameras from tiles, a popup ------------------------------------
    // Staff and incidents off: their dots would take the click before the camera's.
    for (const g of ['staff', 'incidents']) await page.uncheck(`[data-layer="${g}"]`);
    await page.evaluate((v) => window.riskmap.map.jumpTo(v), STREET);
    await mapIdle(page);
    await eventually(() => byLayer('cameras').some((t) => t.status === 200), { message: `a cameras tile answered 200 (${failed.join('; ') || 'none failed'})` });
    const cams = byLayer('cameras');
    const wrongType = cams.filter((t) => t.status === 200 && !t.type.startsWith(MVT));
    assert(wrongType.length === 0, `cameras tiles answered with ${MVT}: ${JSON.stringify(wrongType.slice(0, 3))}`);
    const refused = tiles.filter((t) => t.status !== 200 && t.status !== 304);
    assert(refused.length === 0, `every tile answered 200 (or 304): ${JSON.stringify(refused.slice(0, 5))}`);
    const unsigned = tiles.filter((t) => !t.auth.startsWith('Bearer '));
    assert(unsigned.length === 0, `every tile request carried the login's token: ${JSON.stringify(unsigned.slice(0, 3))}`);
    console.log(`     ${tiles.length} tiles (${LAYERS.map((l) => `${byLayer(l).length} ${l}`).join(', ')})`);
    // Nothing of the tiled layers downloaded whole: only their counts (limit=1) and one camera's item.
    const whole = ogc.filter((u) => /^\/ogc\/collections\/(cameras|risk_sources|key_places)\/items\?/.test(u) && !/[?&]limit=1(&|$)/.test(u));
    assert(whole.length === 0, `no whole-layer download on tiles: ${whole.join(', ')}`);
    const drawn = await eventually(
      () => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['camera-point'] }).length),
      { message: 'cameras drawn from the tiles at street zoom' },
    );
    assert(drawn > 0, `cameras drawn at zoom ${STREET.zoom}: ${drawn}`);
    const cam = await eventually(() => loneCamera(page), { message: 'a camera drawn on its own' });
    const item = await api(disp, 'GET', `/ogc/collections/cameras/items/${encodeURIComponent(cam.id)}`);
    assert(item.properties.name === cam.name, `the tile's name is the camera's: ${cam.name} / ${item.properties.name}`);
    await page.mouse.click(cam.x, cam.y);
    const popup = `.cam-popup[data-camera="${cam.id}"]`;
    await page.waitForSelector(popup, { timeout: 5000 });
    assert((await page.textContent(popup)).includes(cam.name), `the popup names the camera ${cam.name}: ${await page.textContent(popup)}`);
    // stream_url is not in tiles: the popup reads the camera's OGC item for it.
    await eventually(() => ogc.some((u) => u === `/ogc/collections/cameras/items/${encodeURIComponent(cam.id)}`), { message: "the camera's OGC item read for the popup" });
    if (item.properties.stream_url) {
      await page.waitForSelector(`${popup} [data-live-video]`, { timeout: 5000 });
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/tiles-screen-zh.png` });
    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent('[data-title="today"]')) === "Today's incidents", { message: 'the screen in English' });
    assert((await page.textContent('[data-testid="cameras-offline"]')).includes(`/${totals.cameras} offline`), 'the camera count in English');
    // The popup is drawn in the language it was opened in: opened again, in English.
    await page.click('.maplibregl-popup-close-button');
    await page.waitForSelector(popup, { state: 'detached' });
    await page.mouse.click(cam.x, cam.y);
    await page.waitForSelector(popup, { timeout: 5000 });
    if (item.properties.stream_url) {
      await eventually(async () => (await page.textContent(`${popup} [data-live-video]`).catch(() => '')).includes('Live video'), { message: 'the popup in English' });
    }
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/tiles-screen-en.png` });
    await page.click('[data-lang]');

    // ---- live state: a camera_update greys it through feature-state -----------------
    const offlineBefore = Number(await page.getAttribute('[data-testid="cameras-offline"]', 'data-offline'));
    const update = (online) => page.evaluate(({ cam, online }) => window.riskmap.cameraLayer.apply({ id: cam.id, name: cam.name, lon: cam.lon, lat: cam.lat, range_m: cam.range_m, online }), { cam, online });
    const state = () => page.evaluate((id) => {
      const m = window.riskmap.map;
      const f = m.queryRenderedFeatures({ layers: ['camera-point'], filter: ['==', ['get', 'id'], id] })[0];
      return { set: m.getFeatureState({ source: 'cameras', sourceLayer: 'cameras', id }).online, drawn: f?.state?.online };
    }, cam.id);
    await update(false);
    await eventually(async () => {
      const s = await state();
      return s.set === false && s.drawn === false;
    }, { message: 'the camera offline as feature-state of the tiles' });
    await eventually(async () => Number(await page.getAttribute('[data-testid="cameras-offline"]', 'data-offline')) === offlineBefore + 1, { message: 'counted offline' });
    await update(true);
    await eventually(async () => (await state()).drawn === true, { message: 'online again' });

    // ---- very close: every camera in view has its cone, built from the tiles held ---
    await page.evaluate(({ lon, lat }) => window.riskmap.map.jumpTo({ center: [lon, lat], zoom: 18 }), cam);
    await mapIdle(page);
    let seen = null;
    const cones = await eventually(async () => {
      const c = await page.evaluate(() => {
        const m = window.riskmap.map;
        const { width, height } = m.getCanvas().getBoundingClientRect();
        // (a few pixels in: a dot on the very edge is drawn, its point may lie just outside the view)
        const inside = (f) => {
          const p = m.project(f.geometry.coordinates);
          return p.x >= 8 && p.y >= 8 && p.x <= width - 8 && p.y <= height - 8;
        };
        const cameras = new Set(m.queryRenderedFeatures({ layers: ['camera-point'] }).filter(inside).map((f) => String(f.properties.id)));
        const coned = new Set(m.queryRenderedFeatures({ layers: ['camera-cone-fill'] }).map((f) => String(f.properties.id)));
        return { cameras: cameras.size, cones: coned.size, missing: [...cameras].filter((id) => !coned.has(id)) };
      });
      seen = c;
      return c.cones > 0 && c.missing.length === 0 ? c : null;
    }, { message: 'a cone for every camera in view' }).catch((e) => {
      throw new Error(`${e.message}: ${JSON.stringify(seen)} (clicked ${cam.id})`);
    });
    console.log(`     zoom 18: ${cones.cameras} cameras, ${cones.cones} cones`);

    const tileErrors = consoleErrors.filter((e) => e.includes('/tiles/') || /vector tile|\.mvt|source-layer/i.test(e));
    assert(failed.length === 0 && tileErrors.length === 0, `tile requests failed: ${[...failed, ...tileErrors].join('; ')}`);
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
  }

  // ---- without ?tiles: the demo city stays on GeoJSON (under the threshold) ------------
  const plain = await openScreen(browser);
  try {
    const types = await plain.page.evaluate((ls) => ls.map((l) => window.riskmap.map.getSource(l)?.type), LAYERS);
    assert(types.every((t) => t === 'geojson'), `the demo city on GeoJSON without ?tiles: ${JSON.stringify(types)}`);
  } finally {
    await plain.context.close();
  }
}, { timeoutMs: 150_000 });
