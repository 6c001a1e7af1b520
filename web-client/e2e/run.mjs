// The browser tests: the real server in demo mode (started by
// scripts/web-test.sh, address in RISKMAP_URL), Debian's Chromium, and the
// built client. Screenshots go to RISKMAP_SHOTS (default test-results/).
// The helpers are in support.mjs; what a first real use ran into (issue 21)
// is tested in pages.mjs; the admin page and the forced password change in
// admin.mjs; 上岗/下岗 and offline staff in duty.mjs; 一键求助 (SOS) in sos.mjs;
// a track rule's alert (静止) in rules.mjs, first: it needs the field worker's
// old demo fix, before any test shares a newer one from the phone; live camera
// video (HLS made by ffmpeg) in video.mjs; 风险研判 (grid risk, analysis) in risk.mjs;
// organisation (部门, 我的待办, 分流, 督办, 考核排名) in organisation.mjs;
// 巡查覆盖 (patrol coverage, the worker's day card, 巡查台账) in patrol.mjs; the
// public citizen page (随手拍) in citizen.mjs, and its whole loop (report, big
// screen drawer with the photo, field phone with the after-photo, reply,
// rating, statistics, the admin's intake source) in citizenLoop.mjs; 场所码
// (venue codes: the admin's preview and download, the field phone opened by
// the printed link recording an inspection, a forged code refused) in venues.mjs;
// 电子围栏 (geofences: saved through the API, listed, imported and deleted on
// the admin's tab, drawn on the big screen with a popup) in fences.mjs;
// 排班 (the shift roster: 应到未到 on the big screen, following the drill-down;
// listed, refused, imported and downloaded on the admin's tab) in roster.mjs;
// 提醒 (the field worker's own alerts on the phone: a geofence crossed, closed
// by the dispatcher, dismissed) in fieldAlerts.mjs; the staff as hexagons with
// counts below street zoom (a popup by role and duty) in staffHex.mjs, and the same counted on the
// server (`?staff=cells`: no members at city zoom, the drill-down's own) in staffCells.mjs; 矢量瓦片 (the big screen on
// the server's vector tiles, `?tiles=1`: the tiles asked with the token, the
// layers drawn from them, a camera's popup, live state and cones) in tiles.mjs.

import { assert, eventually, run, test } from './harness.mjs';
import { api, BASE, categoryFor, cityOnline, featurePixel, login, mapIdle, num, openScreen, renderedCount, renderedStaff, SHOTS, token, trackOfSeveral, watchErrors } from './support.mjs';
import './rules.mjs';
import './pages.mjs';
import './admin.mjs';
import './duty.mjs';
import './sos.mjs';
import './video.mjs';
import './risk.mjs';
import './organisation.mjs';
import './patrol.mjs';
// (after the others: importing it registers its tests, and rules.mjs must stay first)
import { png } from './citizen.mjs';
import './citizenLoop.mjs';
import './venues.mjs';
import './fences.mjs';
import './roster.mjs';
import './fieldAlerts.mjs';
import './tiles.mjs';
import './staffHex.mjs';
import './staffCells.mjs';

// ---- tests -----------------------------------------------------------------------

test('the big screen renders the demo city (areas, labels, staff, risk sources, cameras)', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser);
  const districts = await renderedCount(page, 'area-district-line', 'code');
  assert(districts >= 10, `expected the 11 districts drawn, got ${districts}`);
  const labels = await eventually(() => renderedCount(page, 'area-district-label', 'code'), { message: 'district labels' });
  assert(labels >= 5, `expected district labels drawn with local glyphs, got ${labels}`);
  // At city zoom the staff are hexagons with counts (staffHex.mjs tests them); markers from street zoom, below.
  const hexes = await eventually(() => renderedCount(page, 'staff-hex-fill', 'cell'), { message: 'staff hexagons' });
  assert(hexes >= 100, `expected the staff counted in hexagons over the city, got ${hexes}`);
  const risks = await renderedCount(page, 'risk-source-point');
  assert(risks >= 500, `expected risk sources, got ${risks}`);
  const levels = await page.evaluate(() => new Set(window.riskmap.map.queryRenderedFeatures({ layers: ['risk-source-point'] }).map((f) => f.properties.level)).size);
  assert(levels === 4, `expected all four risk levels drawn, got ${levels}`);
  // Shaded by the server's risk model (风险研判): yellow, orange or red.
  const shaded = await eventually(() => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['grid-risk-fill'] }).filter((f) => [1, 2, 3].includes(f.state.level)).length), { message: 'grids shaded' });
  assert(shaded > 100, `expected grids shaded by risk, got ${shaded}`);
  const online = await cityOnline(page);
  assert(online > 1000, `staff panel: expected > 1000 online, got ${online}`);
  assert((await page.getAttribute('#live', 'data-state')) === 'open', 'connection state shown as open');
  await page.evaluate(() => window.riskmap.map.jumpTo({ center: [120.655, 28.015], zoom: 14 }));
  await mapIdle(page);
  const staff = await eventually(() => renderedCount(page, 'staff-point'), { message: 'staff markers' });
  assert(staff >= 200, `expected hundreds of staff markers at street zoom, got ${staff}`);
  // Zoomed in close: cameras un-cluster and get their field-of-view cones.
  await page.evaluate(() => window.riskmap.map.jumpTo({ center: [120.655, 28.015], zoom: 18 }));
  await mapIdle(page);
  const cones = await eventually(() => renderedCount(page, 'camera-cone-fill'), { message: 'camera cones' });
  assert(cones > 0, 'camera cones when zoomed in');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});

test('a fix over the OsmAnd endpoint moves that staff marker on the big screen within a second', async ({ browser }) => {
  const { context, page } = await openScreen(browser);
  // Someone off duty: the simulator does not walk them, so only our fix moves them.
  const target = await page.evaluate(() => {
    for (const s of window.riskmap.staff.byId.values()) if (s.duty === 'off') return { id: s.id, lon: s.lon, lat: s.lat };
    return null;
  });
  assert(target, 'an off-duty staff member on the screen');
  // The operator follows that staff member at street level. The fix moves them
  // 200–300 m away; three fixes, one after another, and the median of the
  // three is held to a second (one sample on a shared, CPU-rendered machine
  // says more about the machine than about the map).
  await page.evaluate(({ lon, lat }) => window.riskmap.map.jumpTo({ center: [lon, lat], zoom: 15 }), { lon: target.lon, lat: target.lat });
  await mapIdle(page);
  let before = await eventually(() => renderedStaff(page, target.id), { message: 'the marker drawn' });
  const took = [];
  for (let k = 0; k < 3; k++) {
    const lon = target.lon + [0.002, -0.002, 0][k];
    const lat = target.lat + [0.0015, 0.0015, -0.002][k];
    const sent = Date.now();
    const r = await fetch(`${BASE}/osmand?id=dev-${target.id}&lat=${lat}&lon=${lon}&timestamp=${Math.floor(sent / 1000) + 1 + k}&bearing=45`);
    assert(r.ok, `OsmAnd fix refused: ${r.status}`);
    const moved = await eventually(
      async () => {
        const p = await renderedStaff(page, target.id);
        return p && Math.abs(p.lon - lon) < 3e-4 && Math.abs(p.lat - lat) < 3e-4 ? p : null;
      },
      { timeoutMs: 3000, intervalMs: 25, message: `the marker at the new position (fix ${k + 1})` },
    );
    took.push(Date.now() - sent);
    assert(Math.abs(before.lon - moved.lon) > 1e-3, 'the marker moved');
    before = moved;
  }
  const median = [...took].sort((a, b) => a - b)[1];
  console.log(`     marker moved ${took.join(', ')} ms after each fix was sent (median ${median} ms)`);
  assert(median < 1000, `the marker moved after ${median} ms (median of ${took.join(', ')}), more than a second`);
  await context.close();
});

test('drilling down into a district scopes the panels and the subscription', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser);
  const disp = await token('dispatcher');
  const cityWide = await cityOnline(page);
  const districts = await page.$$eval('[data-testid="drill-select"] option[value]:not([value=""])', (o) => o.map((x) => ({ code: x.value, name: x.textContent })));
  assert(districts.length >= 10, `the city's districts offered for drill-down, got ${districts.length}`);
  // Two incidents, in two districts, reported while the screen watches.
  const [a, b] = districts;
  const at = async (code) => page.evaluate((code) => {
    const grid = [...window.riskmap.tree.byCode.values()].find((n) => n.level === 'grid' && window.riskmap.tree.within(n.code, code));
    const p = grid.geometry.type === 'Polygon' ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0];
    // a point inside a grid: the average of a few ring vertices is inside for the demo's convex-ish grids
    const pts = p.slice(0, -1);
    return { lon: pts.reduce((s, q) => s + q[0], 0) / pts.length, lat: pts.reduce((s, q) => s + q[1], 0) / pts.length };
  }, code);
  const category = await categoryFor(disp, []);
  const ia = await api(disp, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'urgent', ...(await at(a.code)), description: 'drill test A' });
  const ib = await api(disp, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'normal', ...(await at(b.code)), description: 'drill test B' });
  await eventually(() => page.$(`#feed [data-incident="${ib.id}"]`), { message: 'both incidents in the city feed' });
  await page.selectOption('[data-testid="drill-select"]', a.code);
  await eventually(async () => (await page.textContent('#crumbs')).includes(a.name), { message: 'the breadcrumb shows the district' });
  await page.waitForFunction((code) => window.riskmap.scope?.code === code, a.code);
  await mapIdle(page);
  // The live subscription follows the drill-down.
  const scoped = await eventually(
    () => page.evaluate(() => window.riskmap.staff.byId.size > 0 && [...window.riskmap.staff.byId.values()].every((s) => !s.grid || window.riskmap.tree.within(s.grid, window.riskmap.scope.code))),
    { message: 'a snapshot of the district only' },
  );
  assert(scoped, 'subscribed to the district');
  const districtOnline = await eventually(async () => {
    const n = await num(page, 'staff-online');
    return n > 0 && n < cityWide ? n : null;
  }, { message: 'fewer staff online in one district' });
  assert(districtOnline < cityWide, `staff panel scoped: ${districtOnline} < ${cityWide}`);
  assert(await page.$(`#feed [data-incident="${ia.id}"]`), "the district's incident stays in the feed");
  assert(!(await page.$(`#feed [data-incident="${ib.id}"]`)), "the other district's incident left the feed");
  // The demo's simulator keeps reporting incidents, so the district's figure
  // is asked again on each try: one asked once may be passed by the next report.
  const since = new Date(); since.setHours(0, 0, 0, 0);
  await eventually(async () => {
    const district = (await api(disp, 'GET', `/api/incidents/stats?area=${a.code}&from=${since.getTime()}`)).total;
    const shown = await num(page, 'today-total');
    if (shown !== district) throw new Error(`the screen shows ${shown}, the district has ${district}`);
    return true;
  }, { message: "today's total = the district's" });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});

test('dispatching from the big screen assigns the staff member, turns them busy, and their field page gets the task', async ({ browser }) => {
  // The field user's phone, sharing its location.
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const staffId = me.user.staff_id;
  const staff = await api(disp, 'GET', `/api/staff/${staffId}`);
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'zh-CN',
    permissions: ['geolocation'],
    geolocation: { longitude: staff.lon + 0.0003, latitude: staff.lat + 0.0002, accuracy: 7 },
  });
  const field = await phone.newPage();
  const fieldErrors = watchErrors(field);
  await login(field, '/field', 'field');
  await field.waitForFunction(() => window.riskmapField?.live.state === 'open');
  await field.click('[data-share]');
  await eventually(async () => (await field.textContent('[data-testid="acked"]')) !== '—', { message: 'the fix acknowledged' });
  const accuracy = await field.textContent('[data-testid="accuracy"]');
  assert(accuracy.includes('7'), `accuracy shown: ${accuracy}`);
  // The simulator may have walked them on since; the track keeps what the phone sent.
  const track = await api(disp, 'GET', `/api/staff/${staffId}/track?from=${Date.now() - 120_000}&to=${Date.now() + 60_000}`);
  assert(track.fixes.some((f) => Math.abs(f.lon - (staff.lon + 0.0003)) < 1e-6 && f.accuracy === 7), 'the shared location reached the server');
  const moved = await api(disp, 'GET', `/api/staff/${staffId}`);

  // The dispatcher's big screen; an incident next to the field staff member.
  const { context, page, errors } = await openScreen(browser);
  const category = await categoryFor(disp, staff.skills ?? []);
  const incident = await api(disp, 'POST', '/api/incidents', {
    category, source: 'citizen', priority: 'urgent', lon: moved.lon + 0.0002, lat: moved.lat + 0.0001, description: '楼道堆物影响通行（派遣测试）',
  });
  await page.evaluate(({ lon, lat }) => window.riskmap.map.jumpTo({ center: [lon, lat], zoom: 16 }), incident);
  await mapIdle(page);
  // Click the incident on the map itself.
  const pt = await eventually(() => featurePixel(page, 'incident-point', incident.id), { message: 'the incident drawn on the map' });
  await page.mouse.click(pt.x, pt.y);
  await eventually(async () => (await page.textContent('[data-testid="incident-id"]').catch(() => '')) === incident.id, { message: 'the dispatch panel' });
  await page.click('[data-testid="dispatch-panel"] [data-action="accept"]');
  const assign = `[data-testid="dispatch-panel"] [data-assign="${staffId}"]`;
  await page.waitForSelector(assign, { timeout: 10_000 });
  const cams = await page.$$('[data-testid="dispatch-panel"] [data-camera]');
  console.log(`     ${cams.length} cameras see the incident`);
  await page.screenshot({ path: `${SHOTS}/screen-dispatch-1920.png` });
  await page.click(assign);
  await eventually(async () => (await page.getAttribute('[data-testid="incident-assignee"] [data-code]', 'data-code').catch(() => null)) === staffId, { message: 'assigned in the panel' });
  const busy = await eventually(async () => {
    const s = await renderedStaff(page, staffId);
    return s?.duty === 'busy' ? s : null;
  }, { timeoutMs: 5000, message: 'the staff marker busy' });
  assert(busy, 'marker busy');

  // The phone: the task arrives live; sign, start, handle.
  const card = `[data-task="${incident.id}"]`;
  await field.waitForSelector(card, { timeout: 5000 });
  assert((await field.evaluate(() => window.riskmapField.pushed)) >= 1, 'the task came as a /ws push');
  await field.screenshot({ path: `${SHOTS}/field-task.png`, fullPage: true });
  await field.click(`${card} [data-action="sign"]`);
  await field.waitForSelector(`${card} [data-action="start"]`);
  await field.click(`${card} [data-action="start"]`);
  await field.waitForSelector(`${card} textarea`);
  await field.fill(`${card} textarea`, '已清理完毕');
  // Another report beside it while the note is being typed: the task list is
  // redrawn by that push, and the half-written note must survive it.
  await api(disp, 'POST', '/api/incidents', { category, source: 'citizen', lon: incident.lon, lat: incident.lat, description: '同一处又一起' });
  await field.waitForTimeout(500);
  assert((await field.inputValue(`${card} textarea`)) === '已清理完毕', 'the note survives a redraw');
  await field.click(`${card} [data-action="handle"]`);
  await field.waitForSelector(card, { state: 'detached' });
  const done = await api(disp, 'GET', `/api/incidents/${incident.id}`);
  assert(done.state === 'handled', `incident handled, is ${done.state}`);
  const log = await api(disp, 'GET', `/api/incidents/${incident.id}/log`);
  assert(log.log.some((e) => e.action === 'handle' && e.comment === '已清理完毕'), `the note is in the flow log: ${JSON.stringify(log.log.slice(-2))}`);
  assert(errors.length === 0 && fieldErrors.length === 0, `page errors: ${[...errors, ...fieldErrors].join('; ')}`);
  await context.close();
  await phone.close();
}, { timeoutMs: 90_000 });

test('the field page reports an incident at its current location, with a photo of the scene', async ({ browser }) => {
  // The field user stands inside their own grid (reporting elsewhere: pages.mjs).
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const grid = await api(fieldTok, 'GET', `/ogc/collections/areas/items/${me.user.area}`);
  const ring = (grid.geometry.type === 'Polygon' ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0]).slice(0, -1);
  const here = {
    longitude: Number((ring.reduce((s, q) => s + q[0], 0) / ring.length).toFixed(6)),
    latitude: Number((ring.reduce((s, q) => s + q[1], 0) / ring.length).toFixed(6)),
  };
  const located = await api(fieldTok, 'GET', `/api/dispatch/locate?lon=${here.longitude}&lat=${here.latitude}`);
  assert(located.grid?.code === me.user.area, `the test's position is inside the field user's grid ${me.user.area}`);
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, locale: 'zh-CN',
    permissions: ['geolocation'], geolocation: { ...here, accuracy: 12 },
  });
  const field = await phone.newPage();
  const errors = watchErrors(field);
  await login(field, '/field', 'field');
  await field.click('[data-share]');
  await eventually(async () => (await field.textContent('[data-testid="accuracy"]')).includes('12'), { message: 'a position' });
  await field.waitForSelector('#report select[name=category] option', { state: 'attached' });
  await field.fill('#report textarea[name=description]', '井盖缺失');
  // 现场照片: shown at once, uploaded in the background (POST /api/attachments).
  await field.setInputFiles('#report [data-testid="photo-input-report"]', { name: 'manhole.png', mimeType: 'image/png', buffer: png(640, 480) });
  const preview = '#report [data-testid="photo-preview"]';
  await field.waitForSelector(`${preview}[data-state="done"]`, { timeout: 30_000 });
  const uploaded = await field.getAttribute(preview, 'data-attachment');
  assert(/^[0-9a-f]{64}$/.test(uploaded ?? ''), `the photo uploaded: ${uploaded}`);
  await field.locator('#report').scrollIntoViewIfNeeded();
  await field.locator('#report').screenshot({ path: `${SHOTS}/field-report-photo.png` });
  // In English: the form is redrawn, the description and the photo stay.
  await field.click('[data-lang]');
  await eventually(async () => (await field.textContent('#report h2')) === 'Report an incident', { message: 'the form in English' });
  assert((await field.inputValue('#report textarea[name=description]')) === '井盖缺失', 'the description survives the redraw');
  assert((await field.$$(preview)).length === 1, 'the photo survives the redraw');
  assert((await field.textContent('#report [data-testid="photo-pick-report"] .photo-add')).includes('Photos of the scene'), 'the picker in English');
  await field.locator('#report').screenshot({ path: `${SHOTS}/field-report-photo-en.png` });
  await field.click('[data-lang]');
  await field.click('#report button[type=submit]');
  // The answer: the new incident's id, or a refusal (said in #report .result.error).
  const result = await eventually(() => field.$('#report [data-testid="reported-id"], #report .result.error'), { message: 'an answer to the report' });
  const id = await field.textContent('[data-testid="reported-id"]').catch(() => null);
  assert(id, `the report acknowledged, got: ${await result.textContent()}`);
  const i = await api(disp, 'GET', `/api/incidents/${id}`);
  assert(Math.abs(i.lon - here.longitude) < 1e-6 && Math.abs(i.lat - here.latitude) < 1e-6, 'reported at the phone position');
  assert(i.description === '井盖缺失' && i.source === 'patrol', 'as a patrol report');
  assert(i.photos?.length === 1 && /^[0-9a-f]{64}$/.test(i.photos[0]) && i.photos[0] === uploaded, `the photo attached: ${JSON.stringify(i.photos)}`);
  const thumb = await fetch(`${BASE}/api/attachments/${i.photos[0]}/thumb`, { headers: { authorization: `Bearer ${fieldTok}` } });
  assert(thumb.status === 200, `the thumbnail served to the field login: ${thumb.status}`);
  assert((thumb.headers.get('content-type') ?? '').startsWith('image/'), `a thumbnail image: ${thumb.headers.get('content-type')}`);
  // Sent: the picker is empty again, the form reset.
  assert((await field.$$(preview)).length === 0, 'the picker emptied after sending');
  assert((await field.inputValue('#report textarea[name=description]')) === '', 'the form reset after sending');
  await field.screenshot({ path: `${SHOTS}/field-390x844.png`, fullPage: true });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await phone.close();
});

test('track replay plays a patrol track with speed control', async ({ browser }) => {
  const { context, page } = await openScreen(browser);
  // Someone the simulator walks: their track has many fixes.
  const id = await page.evaluate(() => [...window.riskmap.staff.byId.values()].find((s) => s.duty === 'available' && Date.now() - s.t < 60_000)?.id);
  assert(id, 'a walking staff member');
  await trackOfSeveral(id);
  await page.click('[data-replay]');
  await page.fill('[data-testid="replay-panel"] input[name=staff]', id);
  await page.click('[data-testid="replay-panel"] [data-load]');
  const n = Number(await eventually(() => page.getAttribute('.replay-status', 'data-fixes'), { message: 'the track loaded' }));
  assert(n >= 2, `a track of several fixes, got ${n}`);
  await mapIdle(page);
  const drawn = await eventually(() => page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['track-line'] }).length), { message: 'the track drawn' });
  assert(drawn > 0, 'the track drawn');
  await page.selectOption('[data-testid="replay-panel"] select[name=speed]', '1800');
  const head = () => page.evaluate(() => window.riskmap.replay.head);
  const first = await head();
  await page.click('[data-testid="replay-panel"] [data-play]');
  await eventually(async () => {
    const now = await head();
    return now && first && (now[0] !== first[0] || now[1] !== first[1]);
  }, { timeoutMs: 5000, message: 'the head moving along the track' });
  await context.close();
});

test('the live connection reconnects and re-subscribes after it drops', async ({ browser }) => {
  const { context, page } = await openScreen(browser);
  const before = await page.evaluate(() => window.riskmap.snapshots);
  await page.evaluate(() => window.riskmap.live.ws.close());
  await eventually(async () => (await page.getAttribute('#live', 'data-state')) === 'reconnecting', { timeoutMs: 3000, intervalMs: 10, message: 'reconnecting shown' });
  await eventually(async () => (await page.getAttribute('#live', 'data-state')) === 'open', { timeoutMs: 10_000, message: 'open again' });
  await eventually(() => page.evaluate((b) => window.riskmap.snapshots > b, before), { message: 'a fresh snapshot after re-subscribing' });
  await context.close();
});

test('screenshots of the big screen at 1920×1080 and 3840×2160, in Chinese and English', async ({ browser }) => {
  for (const [w, h] of [[1920, 1080], [3840, 2160]]) {
    const { context, page, errors } = await openScreen(browser, { width: w, height: h, username: 'screen' });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${SHOTS}/screen-${w}x${h}.png` });
    // The README opens with this one: kept current by this test.
    if (w === 1920) await page.screenshot({ path: new URL('../../docs/img/big-screen.png', import.meta.url).pathname });
    if (w === 1920) {
      await page.click('[data-lang]');
      assert((await page.textContent('[data-title="today"]')) === "Today's incidents", 'English switch');
      await page.screenshot({ path: `${SHOTS}/screen-${w}x${h}-en.png` });
      await page.click('[data-lang]');
    }
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
    await context.close();
  }
}, { timeoutMs: 300_000 });

process.exit(await run({ filter: process.argv[2] }));
