// What a first real use of the pages ran into (issue 21, "The pages"): each
// test here failed before the fix it covers.

import { assert, eventually, test } from './harness.mjs';
import { api, BASE, categoryFor, inside, login, mapIdle, openScreen, PASSWORD, phone, renderedCount, SHOTS, token, trackOfSeveral, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const LATIN_WORD = /[A-Za-z]{3,}/;

test('a wrong password is said on both pages, in the page language, keeping what was typed; the throttle says when to retry', async ({ browser }) => {
  for (const [path, who] of [['/', 'screen'], ['/field', 'field']]) {
    for (const lang of ['zh', 'en']) {
      const context = await browser.newContext({ viewport: path === '/' ? { width: 1920, height: 1080 } : { width: 390, height: 844 }, locale: 'zh-CN' });
      if (lang === 'en') await context.addInitScript(() => localStorage.setItem('riskmap.lang', 'en'));
      const page = await context.newPage();
      await page.goto(BASE + path);
      // The title fits on its line (it wrapped one character before).
      const lines = await page.$eval('form.login h1', (h) => {
        // Its height against the same title forced onto one line.
        const one = h.cloneNode(true);
        one.style.whiteSpace = 'nowrap';
        h.after(one);
        const n = h.getBoundingClientRect().height / one.getBoundingClientRect().height;
        one.remove();
        return Math.round(n * 10) / 10;
      });
      assert(lines === 1, `the login title on one line, got ${lines} lines`);
      const username = `nobody-${who}-${lang}-${Date.now()}`;
      await page.fill('input[name=username]', username);
      await page.fill('input[name=password]', 'not-the-password');
      await page.evaluate(() => (window.__notReloaded = true));
      await page.click('form.login button[type=submit]');
      const said = await eventually(() => page.textContent('[data-testid="login-error"]'), { message: 'the login error' });
      assert(lang === 'zh' ? said.includes('用户名或密码错误') : said.includes('Wrong username or password'), `wrong password said: ${said}`);
      assert(await page.evaluate(() => window.__notReloaded === true), 'the page did not reload');
      assert((await page.inputValue('input[name=username]')) === username, 'the typed username kept');
      await page.screenshot({ path: `${SHOTS}/login-error${path === '/' ? '' : '-field'}${lang === 'en' ? '-en' : ''}.png` });
      // Kept to one language: every failure counts against this address too.
      if (lang === 'en') {
        await context.close();
        continue;
      }
      // Keep failing: the server throttles (429 with Retry-After), and the page says until when.
      const throttled = await eventually(async () => {
        await page.click('form.login button[type=submit]');
        await page.waitForTimeout(150);
        return (await page.getAttribute('[data-testid="login-error"]', 'data-status')) === '429' ? page.textContent('[data-testid="login-error"]') : null;
      }, { timeoutMs: 20_000, intervalMs: 50, message: 'the throttle shown' });
      assert(/\d+/.test(throttled) && /\d{2}:\d{2}/.test(throttled), `when to retry: ${throttled}`);
      assert(lang === 'zh' ? HAN.test(throttled) && !LATIN_WORD.test(throttled) : throttled.includes('try again'), `in the page language: ${throttled}`);
      assert((await page.getAttribute('[data-testid="login-error"]', 'class')).includes('error'), 'styled as an error');
      assert((await page.inputValue('input[name=username]')) === username, 'the username still there');
      await page.screenshot({ path: `${SHOTS}/login-throttled${path === '/' ? '' : '-field'}.png` });
      await context.close();
    }
  }
}, { timeoutMs: 120_000 });

test('a field worker reports where they stand, in any grid; outside every grid they are told so in Chinese', async ({ browser }) => {
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const own = await api(fieldTok, 'GET', `/ogc/collections/areas/items/${me.user.area}`);
  const home = inside(own.geometry);
  // A spot in someone else's grid, a little way off.
  let there = null;
  let grid = null;
  for (const [dx, dy] of [[0.02, 0], [-0.02, 0], [0, 0.02], [0, -0.02], [0.04, 0.04], [-0.04, -0.04]]) {
    const p = { longitude: Number((home.longitude + dx).toFixed(6)), latitude: Number((home.latitude + dy).toFixed(6)) };
    const l = await api(disp, 'GET', `/api/dispatch/locate?lon=${p.longitude}&lat=${p.latitude}`);
    if (l.grid && l.grid.code !== me.user.area) {
      there = p;
      grid = l.grid;
      break;
    }
  }
  assert(there, 'a point in another grid');
  const { context, page } = await phone(browser, { at: there });
  await login(page, '/field', 'field');
  await page.click('[data-share]');
  await eventually(async () => (await page.textContent('[data-testid="accuracy"]')).includes('8'), { message: 'a position' });
  await page.waitForSelector('#report select[name=category] option', { state: 'attached' });
  await page.fill('#report textarea[name=description]', '路灯不亮（网格外上报）');
  await page.click('#report button[type=submit]');
  const id = await eventually(() => page.textContent('[data-testid="reported-id"]').catch(() => null), { message: 'the report acknowledged' });
  const place = await page.textContent('[data-testid="reported-place"]');
  assert(place.includes(grid.name), `filed in the grid it falls in (${grid.name}): ${place}`);
  assert(place.includes(`${there.latitude.toFixed(5)}, ${there.longitude.toFixed(5)}`), `shown as lat, lon: ${place}`);
  const i = await api(disp, 'GET', `/api/incidents/${id}`);
  assert(i.grid === grid.code, `the incident's grid is ${grid.code}, got ${i.grid}`);
  // Far outside the city: refused, and said in the page's language, as an error.
  await context.setGeolocation({ longitude: 100.0, latitude: 20.0, accuracy: 9 });
  await eventually(async () => (await page.textContent('[data-testid="accuracy"]')).includes('9'), { message: 'the new position' });
  await page.fill('#report textarea[name=description]', '城外');
  await page.click('#report button[type=submit]');
  const refused = await eventually(() => page.textContent('#report .result.error').catch(() => null), { message: 'the refusal' });
  assert(refused.includes('不在本市任何网格内') && !LATIN_WORD.test(refused), `refusal in Chinese: ${refused}`);
  await page.screenshot({ path: `${SHOTS}/field-report-refused.png`, fullPage: true });
  await context.close();
});

test('a task card says where, how far, shows a small map and hands off to navigation apps; handled tasks stay under 已办', async ({ browser }) => {
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const staffId = me.user.staff_id;
  const staff = await api(disp, 'GET', `/api/staff/${staffId}`);
  const category = await categoryFor(disp, staff.skills ?? []);
  const inc = await api(disp, 'POST', '/api/incidents', { category, source: 'citizen', priority: 'urgent', lon: staff.lon + 0.002, lat: staff.lat + 0.001, description: '消防通道被占用（任务卡测试）' });
  await api(disp, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'accept' });
  await api(disp, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'dispatch', staff_id: staffId });
  const { context, page } = await phone(browser, { at: { longitude: staff.lon, latitude: staff.lat } });
  const errors = watchErrors(page);
  await login(page, '/field', 'field');
  await page.click('[data-share]');
  const card = `[data-task="${inc.id}"]`;
  await page.waitForSelector(card, { timeout: 10_000 });
  const dist = await eventually(() => page.textContent(`${card} [data-testid="task-distance"]`).catch(() => null), { message: 'the distance from me' });
  assert(/\d/.test(dist) && /m|km/.test(dist), `distance: ${dist}`);
  const place = await page.textContent(`${card} [data-testid="task-place"]`);
  assert(inc.grid_name && place.includes(inc.grid_name), `the grid's name on the card (${inc.grid_name}): ${place}`);
  assert(await page.$(`${card} svg[data-testid="task-map"] .task-pin`), 'a small map');
  const hrefs = await page.$$eval(`${card} a[data-nav]`, (a) => Object.fromEntries(a.map((x) => [x.dataset.nav, x.getAttribute('href')])));
  assert(hrefs.geo?.startsWith(`geo:${inc.lat.toFixed(6)},${inc.lon.toFixed(6)}`), `geo: link, WGS84 lat,lon: ${hrefs.geo}`);
  const dlat = Number(/dlat=([\d.]+)/.exec(hrefs.amap ?? '')?.[1]);
  const dlon = Number(/dlon=([\d.]+)/.exec(hrefs.amap ?? '')?.[1]);
  assert(hrefs.amap?.startsWith('amapuri://route/plan/') && Math.abs(dlat - inc.lat) > 1e-4 && Math.abs(dlat - inc.lat) < 0.01 && Math.abs(dlon - inc.lon) < 0.01, `Gaode in GCJ-02: ${hrefs.amap}`);
  assert(hrefs.baidu?.startsWith('baidumap://map/direction') && hrefs.baidu.includes('coord_type=bd09ll'), `Baidu in BD-09: ${hrefs.baidu}`);
  assert(hrefs.qq?.startsWith('qqmap://map/routeplan') && hrefs.qq.includes('tocoord='), `Tencent: ${hrefs.qq}`);
  const who = await page.textContent('#who');
  assert(who.includes(me.user.display_name) && !who.includes(staffId), `the footer names the worker: ${who}`);
  await page.screenshot({ path: `${SHOTS}/field-task-card.png`, fullPage: true });
  await page.click('[data-lang]');
  const title = await page.textContent(`${card} h3`);
  assert(inc.category_name_en && title.includes(inc.category_name_en), `EN category on the card: ${title}`);
  await page.screenshot({ path: `${SHOTS}/field-task-card-en.png`, fullPage: true });
  await page.click('[data-lang]');
  await page.click(`${card} [data-action="sign"]`);
  await page.waitForSelector(`${card} [data-action="handle"]`);
  await page.fill(`${card} textarea`, '已劝离');
  await page.click(`${card} [data-action="handle"]`);
  await page.waitForSelector(card, { state: 'detached' });
  await page.waitForSelector(`[data-testid="done"] [data-done="${inc.id}"]`, { timeout: 5000 });
  await page.screenshot({ path: `${SHOTS}/field-done.png`, fullPage: true });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });

test('denied geolocation shows the real state and how to fix it', async ({ browser }) => {
  for (const lang of ['zh', 'en']) {
    const { context, page } = await phone(browser, { deny: true, lang });
    await login(page, '/field', 'field');
    await page.waitForFunction(() => window.riskmapField?.live.state === 'open');
    await page.click('[data-share]');
    await eventually(async () => (await page.getAttribute('#location', 'data-geo')) === 'denied', { message: 'the denied state' });
    const state = await page.textContent('[data-testid="geo-state"]');
    const help = await page.textContent('[data-testid="geo-help"]');
    const button = await page.textContent('[data-share]');
    if (lang === 'zh') {
      assert(state.includes('拒绝') && help.includes('允许') && button === '共享位置', `zh: ${state} / ${help} / ${button}`);
    } else {
      assert(state.includes('denied') && help.includes('Allow') && button === 'Share location', `en: ${state} / ${help} / ${button}`);
    }
    await page.screenshot({ path: `${SHOTS}/field-geo-denied${lang === 'en' ? '-en' : ''}.png`, fullPage: true });
    await context.close();
  }
});

test('the big screen shows names, not codes: grid, assignee, candidates and the flow log; English categories in EN', async ({ browser }) => {
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const staff = await api(disp, 'GET', `/api/staff/${me.user.staff_id}`);
  const category = await categoryFor(disp, staff.skills ?? []);
  const inc = await api(disp, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'normal', lon: staff.lon + 0.001, lat: staff.lat, description: '噪声扰民（名称测试）' });
  await api(disp, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'accept' });
  const dispMe = await api(disp, 'GET', '/api/me');
  const { context, page, errors } = await openScreen(browser);
  await page.evaluate((id) => window.riskmap.openIncident(id), inc.id);
  await page.waitForSelector('[data-testid="incident-grid"]');
  const grid = await page.$eval('[data-testid="incident-grid"]', (d) => ({ text: d.textContent.trim(), code: d.querySelector('[data-code]')?.dataset.code }));
  assert(grid.text === inc.grid_name && grid.code === inc.grid, `grid by name, code on hover: ${JSON.stringify(grid)}`);
  const actor = await page.$$eval('[data-testid="dispatch-panel"] .log .actor', (a) => a.map((x) => x.textContent.trim()));
  assert(actor.includes(dispMe.user.display_name) && !actor.includes('dispatcher'), `the flow log names the actor: ${actor}`);
  const cands = await page.$$eval('[data-testid="dispatch-panel"] .candidates td.grid [data-code]', (a) => a.map((x) => ({ text: x.textContent, code: x.dataset.code })));
  assert(cands.length > 0 && cands.every((c) => c.text !== c.code && c.code), `candidates' grids by name: ${JSON.stringify(cands.slice(0, 3))}`);
  await page.click(`[data-testid="dispatch-panel"] [data-assign="${me.user.staff_id}"]`, { timeout: 5000 }).catch(async () => {
    await api(disp, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'dispatch', staff_id: me.user.staff_id });
  });
  const assignee = await eventually(
    () => page.$eval('[data-testid="incident-assignee"]', (d) => ({ text: d.textContent.trim(), code: d.querySelector('[data-code]')?.dataset.code })).then((a) => (a.code ? a : null)),
    { message: 'the assignee shown' },
  );
  assert(assignee.code === me.user.staff_id && assignee.text === staff.name, `assignee by name: ${JSON.stringify(assignee)}`);
  await page.screenshot({ path: `${SHOTS}/screen-names.png` });
  await page.click('[data-lang]');
  await eventually(() => page.evaluate((id) => window.riskmap.openIncident(id).then(() => true), inc.id), { message: 'reopened' });
  const title = await page.textContent('[data-testid="dispatch-panel"] h2');
  assert(title.includes(inc.category_name_en), `EN category in the panel: ${title}`);
  await page.screenshot({ path: `${SHOTS}/screen-names-en.png` });
  await page.click('[data-lang]');
  // Free the field user again for the tests after this one.
  for (const action of ['sign', 'handle']) await api(fieldTok, 'POST', `/api/incidents/${inc.id}/actions`, { action, comment: '已处理' });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });

test('on open, the feed lists what awaits 受理 and 超期预警 what is overdue', async ({ browser }) => {
  const disp = await token('dispatcher');
  const category = await categoryFor(disp, []);
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  const staff = await api(disp, 'GET', `/api/staff/${me.user.staff_id}`);
  const waiting = await api(disp, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'urgent', lon: staff.lon, lat: staff.lat + 0.001, description: '待受理（开屏测试）' });
  const overdue = await api(disp, 'GET', '/api/incidents?open=true&warning=red,yellow&limit=1');
  const { context, page } = await openScreen(browser);
  await eventually(() => page.$(`#feed [data-incident="${waiting.id}"]`), { message: 'the waiting incident in the feed on open' });
  if (overdue.total > 0) await eventually(() => page.$('#overdue [data-incident]'), { message: 'overdue incidents listed on open' });
  await context.close();
});

test('track replay finds a staff member by name, suggests names, and says when nothing matches', async ({ browser }) => {
  const { context, page } = await openScreen(browser);
  const who = await page.evaluate(() => {
    const all = [...window.riskmap.staff.byId.values()];
    const s = all.find((x) => x.duty === 'available' && Date.now() - x.t < 60_000 && x.name && all.filter((y) => y.name === x.name).length === 1);
    return s ? { id: s.id, name: s.name } : null;
  });
  assert(who, 'a walking staff member with a unique name');
  await trackOfSeveral(who.id);
  await page.click('[data-replay]');
  const box = '[data-testid="replay-panel"] input[name=staff]';
  await page.fill(box, who.name.slice(0, 2));
  const offered = await eventually(() => page.$$eval('#replay-staff option', (o) => o.map((x) => x.value)).then((v) => (v.length ? v : null)), { message: 'suggestions' });
  assert(offered.some((v) => v.includes(who.id)), `suggested: ${offered.slice(0, 5)}`);
  await page.fill(box, who.name);
  await page.click('[data-testid="replay-panel"] [data-load]');
  const n = Number(await eventually(() => page.getAttribute('.replay-status', 'data-fixes'), { message: 'the track loaded by name' }));
  assert(n >= 2, `a track of several fixes, got ${n}`);
  await page.fill(box, '查无此人');
  await page.click('[data-testid="replay-panel"] [data-load]');
  const said = await eventually(async () => ((await page.getAttribute('.replay-status', 'data-match')) === 'none' ? page.textContent('.replay-status') : null), { message: 'no match said' });
  assert(said.includes('没有找到') && said.includes('查无此人'), `no match: ${said}`);
  assert((await page.getAttribute('.replay-status', 'class')).includes('error'), 'styled as an error');
  await page.screenshot({ path: `${SHOTS}/screen-replay-no-match.png` });
  // The track loaded again, in both languages: its period and its times in the city's time.
  await page.fill(box, who.name);
  await page.click('[data-testid="replay-panel"] [data-load]');
  await eventually(() => page.getAttribute('.replay-status', 'data-fixes'), { message: 'the track loaded again' });
  await page.screenshot({ path: `${SHOTS}/screen-replay-zh.png` });
  const typed = await page.inputValue(box);
  await page.click('[data-lang]');
  const panel = '[data-testid="replay-panel"]';
  await eventually(async () => (await page.textContent(`${panel} h2`)) === 'Track replay', { message: 'the panel in English' });
  assert((await page.textContent(`${panel} [data-load]`)) === 'Load', 'the load button in English');
  const status = await page.textContent('.replay-status');
  assert(/^\d+ fixes$/.test(status), `the status line in English: ${status}`);
  assert((await page.inputValue(box)) === typed, 'what was typed stays');
  await page.screenshot({ path: `${SHOTS}/screen-replay-en.png` });
  await context.close();
});

test('the big screen loads without console errors; heat reads over the dots; camera cones only close up or on click', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('response', (r) => r.status() >= 400 && consoleErrors.push(`${r.status()} ${r.url()}`));
  await login(page, '/', 'dispatcher');
  await page.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree !== null, null, { timeout: 30_000 });
  await mapIdle(page);
  assert(consoleErrors.length === 0, `console errors on load: ${consoleErrors.join('; ')}`);
  // Street zoom: no blanket of cones.
  await page.evaluate(() => window.riskmap.map.jumpTo({ center: [120.655, 28.015], zoom: 16.5 }));
  await mapIdle(page);
  assert((await renderedCount(page, 'camera-cone-fill')) === 0, 'no cones at street zoom');
  // A click on a camera shows its cone.
  const pt = await eventually(() => page.evaluate(() => {
    const m = window.riskmap.map;
    const r = m.getCanvas().getBoundingClientRect();
    // A camera with nothing else under the pointer (a staff dot would take the click).
    for (const f of m.queryRenderedFeatures({ layers: ['camera-point'] })) {
      const p = m.project(f.geometry.coordinates);
      const near = m.queryRenderedFeatures([[p.x - 10, p.y - 10], [p.x + 10, p.y + 10]], { layers: ['staff-point', 'incident-point', 'camera-point'] });
      // ...and no panel over it.
      const x = r.left + p.x;
      const y = r.top + p.y;
      if (near.length === 1 && document.elementFromPoint(x, y) === m.getCanvas()) return { x, y };
    }
    return null;
  }), { message: 'a camera drawn on its own' });
  await page.mouse.click(pt.x, pt.y);
  await mapIdle(page);
  const one = await eventually(() => renderedCount(page, 'camera-cone-fill'), { message: "the clicked camera's cone" });
  assert(one === 1, `one cone for the clicked camera, got ${one}`);
  // Very close, every camera in view gets its cone: run.mjs's first test.
  // The heat map: the dots fade under it so it reads.
  await page.evaluate(() => window.riskmap.map.jumpTo({ center: [120.655, 28.015], zoom: 13 }));
  await page.check('[data-layer="heatmap"]');
  const dots = await page.evaluate(() => window.riskmap.map.getPaintProperty('staff-point', 'circle-opacity'));
  assert(typeof dots === 'number' && dots <= 0.5, `staff dots faded under the heat map, opacity ${dots}`);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `${SHOTS}/screen-heat.png` });
  await context.close();
}, { timeoutMs: 150_000 });

test('a view moved by hand before the areas have loaded is kept: the screen does not jump back to the home area', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  // The areas held back, as a big city's 50,000 grids take seconds: the figures come first.
  let release;
  const released = new Promise((r) => (release = r));
  // (only the download of the whole layer: the screen first asks its count, limit=1, to pick tiles or not)
  await page.route(/\/ogc\/collections\/areas\/items\?.*limit=10000/, async (route) => {
    await released;
    await route.continue();
  });
  await login(page, '/', 'dispatcher');
  await page.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree === null, null, { timeout: 30_000 });
  const before = await page.evaluate(() => window.riskmap.map.getZoom());
  // The wheel over the map (the canvas's middle: the panels sit at the sides).
  const middle = await page.evaluate(() => {
    const r = window.riskmap.map.getCanvas().getBoundingClientRect();
    return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
  });
  await page.mouse.move(middle.x, middle.y);
  for (let i = 0; i < 6; i++) {
    await page.mouse.wheel(0, -300);
    await page.waitForTimeout(100);
  }
  await eventually(() => page.evaluate((z) => window.riskmap.map.getZoom() > z + 0.5 && !window.riskmap.map.isMoving(), before), { message: 'zoomed in by the wheel' });
  const moved = await page.evaluate(() => ({ zoom: window.riskmap.map.getZoom(), center: window.riskmap.map.getCenter().toArray() }));
  release();
  await page.waitForFunction(() => window.riskmap.tree !== null, null, { timeout: 30_000 });
  await mapIdle(page);
  await page.waitForTimeout(500);
  const after = await page.evaluate(() => ({ zoom: window.riskmap.map.getZoom(), center: window.riskmap.map.getCenter().toArray() }));
  assert(Math.abs(after.zoom - moved.zoom) < 0.01 && Math.abs(after.center[0] - moved.center[0]) < 1e-6 && Math.abs(after.center[1] - moved.center[1]) < 1e-6,
    `the view stays where it was zoomed (zoom ${moved.zoom.toFixed(2)} at ${moved.center}), found zoom ${after.zoom.toFixed(2)} at ${after.center}`);
  // The screen still takes the login's area as its scope (figures, panels, subscription).
  await eventually(() => page.evaluate(() => window.riskmap.scope !== null), { message: 'the home area in scope' });
  assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
  await context.close();
});
