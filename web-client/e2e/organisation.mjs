// Organisation (issue 15) in the browser: a district's administrator adds a
// department (部门) by hand and from a GeoJSON file and binds a new street
// dispatcher to it; that dispatcher's big screen lists 我的待办 (the same as
// GET /api/incidents?queue=mine), opens an incident from it, accepts it and
// sends it to the proposed department (分流, 派至部门) in one click, sees the
// district's 督办 arrive in the queue and answers it; the district's commander
// reads 考核排名 by level (the same rows as GET /api/assessment) and downloads
// it as CSV. Screenshots in Chinese and English.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, eventually, test } from './harness.mjs';
import { api, BASE, hastyDepartment, login, openScreen, overdueIncident, SHOTS, token, watchErrors } from './support.mjs';

const DESK = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };
const HAN = /[\u4e00-\u9fff]/;
/** A kind the category dictionary names (the minors of 市容/城管 go to it). */
const KIND = '综合行政执法队';

/**
 * What the tests share: the department and the street dispatcher bound to it.
 * Made through the page by the first test, or through the API when that test
 * was filtered out.
 */
let made = null;

/** The first street of the district administrator's district. */
async function firstStreet(tok) {
  const me = await api(tok, 'GET', '/api/me');
  const areas = await api(tok, 'GET', '/ogc/collections/areas/items?limit=10000');
  const streets = areas.features.map((f) => f.properties).filter((p) => p.level === 'street' && p.parent === me.user.area).sort((a, b) => (a.code < b.code ? -1 : 1));
  assert(streets.length > 0, `the district ${me.user.area} has streets`);
  return streets[0];
}

/** A new login's first password changed through the API (it must be before anything else). */
async function ownPassword(username, first) {
  const next = `${first}-x`;
  await api(await token(username, first), 'POST', '/api/auth/password', { current_password: first, new_password: next });
  return next;
}

/** A point inside the street's first grid, read from the big screen's area tree. */
function gridOfStreet(page, street) {
  return page.evaluate((street) => {
    const tree = window.riskmap.tree;
    const grid = [...tree.byCode.values()].find((a) => a.level === 'grid' && tree.within(a.code, street));
    const ring = (grid.geometry.type === 'Polygon' ? grid.geometry.coordinates[0] : grid.geometry.coordinates[0][0]).slice(0, -1);
    return { lon: ring.reduce((s, q) => s + q[0], 0) / ring.length, lat: ring.reduce((s, q) => s + q[1], 0) / ring.length };
  }, street);
}

async function setUp() {
  if (made) return made;
  const tok = await token('district-admin');
  const street = await firstStreet(tok);
  // Routing proposes the first by code of a street's departments of a kind:
  // `{street}-a…` comes before the demo's own `{street}-zf`, and a newer
  // one before an older (a rerun on the same store).
  const code = `${street.code}-a${9_999_999_999_999 - Date.now()}`;
  await api(tok, 'POST', '/api/departments', { departments: [{ code, name: `${street.name}执法中队（测试 ${code.slice(-4)}）`, kind: KIND, area: street.code }] });
  const username = `e2e-street-${Date.now()}`;
  const first = 'Erste-Passwort-2026';
  await api(tok, 'POST', '/api/users', { username, display_name: '街道派遣员', role: 'dispatcher', area: street.code, department: code, password: first });
  made = { street, department: { code, name: `${street.name}执法中队（测试 ${code.slice(-4)}）` }, username, password: await ownPassword(username, first) };
  return made;
}

test('organisation 部门: a district administrator adds a department by hand and from a GeoJSON file, and binds a new login to it', async ({ browser }) => {
  const context = await browser.newContext(DESK);
  const page = await context.newPage();
  const errors = watchErrors(page);
  const tok = await token('district-admin');
  const street = await firstStreet(tok);
  await login(page, '/admin', 'district-admin');
  await page.waitForSelector('[data-testid="accounts"] tr[data-username]');
  await page.click('[data-testid="tab-departments"]');
  await page.waitForSelector('[data-testid="departments-section"]');
  assert(!(await page.isVisible('[data-testid="accounts"]')), 'the logins are behind their tab');

  // 新增部门: kind from the dictionary's departments, area picked level by level.
  await page.click('[data-testid="create-department"]');
  const form = '[data-testid="department-form"]';
  await page.waitForSelector(form);
  const kinds = await page.$$eval(`${form} select[name=kind] option`, (o) => o.map((x) => x.value).filter(Boolean));
  assert(kinds.includes(KIND) && kinds.includes('派出所'), `the kinds of the category dictionary offered: ${kinds}`);
  // Routing proposes the first by code of a street's departments of a kind:
  // `{street}-a…` comes before the demo's own `{street}-zf`, and a newer
  // one before an older (a rerun on the same store).
  const code = `${street.code}-a${9_999_999_999_999 - Date.now()}`;
  const name = `${street.name}执法中队（测试 ${code.slice(-4)}）`;
  // Nothing but the code: said before sending.
  await page.fill(`${form} input[name=code]`, code);
  await page.click(`${form} button[type=submit]`);
  assert((await page.textContent('[data-testid="department-error"]')).includes('请填写'), 'the missing fields said');
  await page.fill(`${form} input[name=name]`, name);
  await page.selectOption(`${form} select[name=kind]`, KIND);
  await page.selectOption(`${form} [data-area] select[data-depth="1"]`, street.code);
  await page.screenshot({ path: `${SHOTS}/admin-department-create.png` });
  await page.click(`${form} button[type=submit]`);
  const row = `tr[data-department="${code}"]`;
  await page.waitForSelector(row);
  assert((await page.textContent(`${row} td.kind`)) === KIND, 'the kind listed');
  assert((await page.textContent(`${row} td.area`)).trim() === street.name, 'the area by name');
  assert((await page.textContent(`${row} td.level`)) === '街镇', 'the level of its area');
  const listed = (await api(tok, 'GET', '/api/departments')).departments.find((d) => d.code === code);
  assert(listed && listed.area === street.code && listed.level === 'street' && listed.kind === KIND, `saved: ${JSON.stringify(listed)}`);

  // 导入: a GeoJSON file; a broken one is refused line by line, nothing sent.
  const pcs = `e2e-${Date.now()}-pcs`;
  const dir = mkdtempSync(join(tmpdir(), 'riskmap-departments-'));
  const file = join(dir, `${pcs}.geojson`);
  writeFileSync(file, JSON.stringify({ type: 'FeatureCollection', features: [
    { type: 'Feature', geometry: null, properties: { code: pcs, name: `${street.name}派出所（测试）`, kind: '派出所', area: street.code } },
  ] }));
  const bad = join(dir, `${pcs}-bad.json`);
  writeFileSync(bad, JSON.stringify({ departments: [{ code: `${pcs}-b`, kind: '派出所', area: street.code }] }));
  const before = (await api(tok, 'GET', '/api/departments')).departments.length;
  await page.setInputFiles('[data-testid="department-file"]', bad);
  const refused = await eventually(() => page.textContent('[data-testid="department-flash"]').then((t) => (t.includes('缺少') ? t : null)), { message: 'the bad file refused' });
  assert(refused.includes('第 1 条缺少 name'), `which record and field: ${refused}`);
  assert((await api(tok, 'GET', '/api/departments')).departments.length === before, 'nothing was sent');
  await page.setInputFiles('[data-testid="department-file"]', file);
  await page.waitForSelector('[data-testid="confirm"]');
  assert((await page.textContent('[data-testid="confirm"]')).includes('1 个部门'), 'asked first, with the count');
  await page.click('[data-testid="confirm"] [data-ok]');
  await page.waitForSelector(`tr[data-department="${pcs}"]`);
  assert((await page.textContent('[data-testid="department-flash"]')).includes('已保存 1 个部门'), 'saved said');
  rmSync(dir, { recursive: true, force: true });
  await page.screenshot({ path: `${SHOTS}/admin-departments.png`, fullPage: true });

  // A street dispatcher bound to the department: offered for the street, shown in the table.
  await page.click('[data-testid="tab-accounts"]');
  await page.click('[data-testid="create-account"]');
  const aform = '[data-testid="account-form"]';
  const username = `e2e-street-${Date.now()}`;
  await page.fill(`${aform} input[name=username]`, username);
  await page.fill(`${aform} input[name=display_name]`, '街道派遣员');
  await page.selectOption(`${aform} select[name=role]`, 'dispatcher');
  const atDistrict = await page.$$eval(`${aform} select[name=department] option`, (o) => o.map((x) => x.value));
  assert(!atDistrict.includes(code), `a street's department is not offered for the district: ${atDistrict}`);
  await page.selectOption(`${aform} [data-area] select[data-depth="1"]`, street.code);
  const offered = await page.$$eval(`${aform} select[name=department] option`, (o) => o.map((x) => x.value));
  assert(offered.includes(code) && offered.includes(pcs), `the street's departments offered: ${offered}`);
  await page.selectOption(`${aform} select[name=department]`, code);
  await page.click(`${aform} [data-generate]`);
  const first = await page.inputValue(`${aform} input[name=password]`);
  await page.click(`${aform} button[type=submit]`);
  await page.waitForSelector('[data-testid="account-done"]');
  await page.click('[data-testid="account-done"] button[type=submit]');
  const urow = `tr[data-username="${username}"]`;
  await page.waitForSelector(urow);
  assert((await page.textContent(`${urow} td.department`)).trim() === name, 'the department by name in the logins table');
  const user = (await api(tok, 'GET', '/api/users')).users.find((u) => u.username === username);
  assert(user.department === code, `bound: ${JSON.stringify(user)}`);
  // Its members, as the server derives them.
  await page.click('[data-testid="tab-departments"]');
  await eventually(() => page.textContent(`${row} td.members`).then((t) => t.includes(username)), { message: 'the login among the members' });
  await page.screenshot({ path: `${SHOTS}/admin-departments-members.png`, fullPage: true });
  // English.
  await page.click('[data-lang]');
  const heads = await page.$$eval('[data-testid="departments"] th', (th) => th.map((x) => x.textContent));
  assert(heads.join('|') === 'Code|Name|Kind|Area|Level|Logins', `columns in English: ${heads}`);
  const chrome = await page.$$eval('nav.tabs button, [data-testid="departments-section"] .toolbar button, td.level', (e) => e.map((x) => x.textContent).join(' '));
  assert(!HAN.test(chrome), `no Chinese left in the page's own words: ${chrome}`);
  await page.screenshot({ path: `${SHOTS}/admin-departments-en.png`, fullPage: true });
  await page.click('[data-lang]');
  made = { street, department: { code, name }, username, password: await ownPassword(username, first) };
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });

test('organisation 我的待办: the queue lists what awaits the login, opens it, dispatches to the proposed department, and shows and answers 督办', async ({ browser }) => {
  const { street, department, username, password } = await setUp();
  const mine = await token(username, password);
  const { context, page, errors } = await openScreen(browser, { username, password });
  // An incident in a grid of the street, of a category the department's kind handles: it waits for the street's 受理.
  const { categories } = await api(mine, 'GET', '/api/incidents/categories');
  const category = categories.flatMap((c) => c.children ?? []).find((c) => c.department === KIND);
  assert(category, `a category handled by ${KIND}`);
  const at = await gridOfStreet(page, street.code);
  const inc = await api(mine, 'POST', '/api/incidents', { category: category.code, source: 'hotline', priority: 'urgent', ...at, description: 'e2e: 我的待办' });
  const item = `[data-testid="queue-item"][data-incident="${inc.id}"]`;
  await page.waitForSelector(item, { timeout: 10_000 });
  // The panel is the server's queue, in its order.
  await eventually(async () => {
    const want = (await api(mine, 'GET', '/api/incidents?queue=mine&limit=200')).incidents.map((i) => i.id).slice(0, 50);
    const shown = await page.$$eval('[data-testid="queue-item"]', (b) => b.map((x) => x.dataset.incident));
    return JSON.stringify([...shown].sort()) === JSON.stringify([...want].sort());
  }, { message: 'the panel lists GET /api/incidents?queue=mine' });
  await page.locator('[data-testid="panel-queue"]').screenshot({ path: `${SHOTS}/screen-queue.png` });

  // Opened from the queue: the owner is the street; 受理, then 派至部门 in one click.
  await page.click(item);
  await page.waitForSelector(`[data-testid="incident-id"]:text("${inc.id}")`);
  assert((await page.textContent('[data-testid="incident-owner"]')).includes(street.name), 'owned by the street');
  await page.click('[data-testid="dispatch-panel"] [data-action="accept"]');
  const proposed = await eventually(() => page.textContent('[data-testid="proposed-department"]').catch(() => null), { message: '分流建议' });
  assert(proposed.includes(department.name), `the street's ${KIND} proposed: ${proposed}`);
  await page.click('[data-testid="dispatch-department"]');
  await eventually(() => page.textContent('[data-testid="incident-department"]').then((t) => t.includes(department.name)), { message: 'dispatched to the department' });
  assert((await api(mine, 'GET', `/api/incidents/${inc.id}`)).assignee_department === department.code, 'the server says so');

  // 督办 from the district: pushed, marked in the queue, answered from the drawer.
  const district = await token('district');
  await api(district, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'supervise', hours: 24, comment: 'e2e: 请今日办结' });
  await page.waitForSelector(`${item} [data-testid="queue-supervised"]`, { timeout: 10_000 });
  await eventually(() => page.textContent('[data-testid="supervision"]').then((t) => t.includes('e2e: 请今日办结')).catch(() => false), { message: 'the order in the drawer' });
  assert((await page.textContent('[data-testid="supervision-state"]')) === '待回复', 'awaiting the answer');
  await page.locator('[data-testid="panel-queue"]').screenshot({ path: `${SHOTS}/screen-queue-supervised.png` });
  await page.screenshot({ path: `${SHOTS}/screen-incident-supervision.png` });
  // Without a text: said, not sent.
  await page.click('[data-org-action="answer_supervision"]');
  assert((await page.textContent('[data-testid="org-problem"]')).includes('回复内容'), 'the answer is required');
  await page.fill('[data-testid="dispatch-panel"] .comment', 'e2e: 已派执法中队处置');
  await page.click('[data-org-action="answer_supervision"]');
  await eventually(() => page.textContent('[data-testid="supervision-state"]').then((t) => t.startsWith('已回复')), { message: 'answered' });
  await page.click('[data-lang]');
  await eventually(() => page.textContent('[data-testid="panel-queue"] h2').then((t) => t.startsWith('My queue')), { message: 'the queue in English' });
  await page.locator('[data-testid="panel-queue"]').screenshot({ path: `${SHOTS}/screen-queue-en.png` });
  await page.click('[data-lang]');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 120_000 });

test("红色预警: an incident past its department's own limit glows on the big screen and pulses by a CSS ring; the map is not redrawn for the pulse", async ({ browser }) => {
  const { street, username, password } = await setUp();
  // A hasty department of the street; its code sorts after the demo's `-zf`, so routing proposes it to no other test.
  const code = `${street.code}-zz${Date.now()}`;
  await hastyDepartment(await token('district-admin'), { code, name: `${street.name}限时测试队`, kind: KIND, area: street.code });
  const mine = await token(username, password);
  const { context, page, errors } = await openScreen(browser, { username, password });
  // Every paint change of the incidents' layers counted: a pulse drawn by the map changes one every frame.
  await page.evaluate(() => {
    const map = window.riskmap.map;
    const set = map.setPaintProperty.bind(map);
    window.__incidentPaints = 0;
    map.setPaintProperty = (layer, ...rest) => {
      if (layer.startsWith('incident-')) window.__incidentPaints += 1;
      return set(layer, ...rest);
    };
  });
  const at = await gridOfStreet(page, street.code);
  const { categories } = await api(mine, 'GET', '/api/incidents/categories');
  const category = categories.flatMap((c) => c.children ?? []).find((c) => c.department === KIND);
  const inc = await overdueIncident(mine, { category: category.code, at, department: code, description: 'e2e: 红色预警' });
  await page.evaluate((p) => window.riskmap.map.jumpTo({ center: [p.lon, p.lat], zoom: 16 }), at);
  const ring = `[data-incident-ring="${inc.id}"]`;
  await page.waitForSelector(ring, { timeout: 15_000 });
  assert((await page.$eval(ring, (el) => getComputedStyle(el, '::before').animationName)) === 'sos-ring', 'the ring is animated by CSS');
  await eventually(async () => (await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['incident-halo'] }).map((f) => f.properties.id))).includes(inc.id), { message: 'its red glow drawn' });
  const paints = await page.evaluate(() => window.__incidentPaints);
  await page.waitForTimeout(1500);
  assert((await page.evaluate(() => window.__incidentPaints)) === paints, 'no paint change for the pulse while it pulses');
  // Screenshots with the page's animations held at a phase where the ring shows, then let go.
  const hold = () => page.evaluate(() => document.getAnimations().forEach((a) => { a.pause(); a.currentTime = 500; }));
  const letGo = () => page.evaluate(() => document.getAnimations().forEach((a) => a.play()));
  await hold();
  await page.screenshot({ path: `${SHOTS}/screen-overdue-ring.png` });
  await letGo();
  // Its layers switched off, the ring goes with them; on again, it is back.
  await page.uncheck('[data-layer="incidents"]');
  await page.waitForSelector(ring, { state: 'detached' });
  await page.check('[data-layer="incidents"]');
  await page.waitForSelector(ring);
  await page.click('[data-lang]');
  await page.waitForFunction(() => document.documentElement.lang === 'en');
  await hold();
  await page.screenshot({ path: `${SHOTS}/screen-overdue-ring-en.png` });
  await letGo();
  await page.click('[data-lang]');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });

test('organisation 考核排名: the ranking by level is GET /api/assessment, and downloads as CSV', async ({ browser }) => {
  const { context, page, errors } = await openScreen(browser, { username: 'district' });
  const tok = await token('district');
  await page.click('[data-testid="assessment-toggle"]');
  await page.waitForFunction(() => window.riskmap.assessment.loads >= 1);
  const same = async (level) => {
    const href = await page.getAttribute('[data-testid="assessment-csv"]', 'href');
    const q = new URL(href, BASE).searchParams;
    assert(q.get('level') === level && q.get('format') === 'csv', `the CSV link asks for ${level}: ${href}`);
    const want = await api(tok, 'GET', `/api/assessment?level=${level}&area=${q.get('area')}&from=${q.get('from')}&to=${q.get('to')}`);
    const rows = await page.$$eval('[data-testid="assessment-table"] tbody tr', (tr) => tr.map((r) => [Number(r.querySelector('.rank').textContent), r.querySelector('.name').textContent]));
    assert(JSON.stringify(rows) === JSON.stringify(want.rows.map((r) => [r.rank, r.name])), `${level}: the rows of the API (${rows.length} vs ${want.rows.length})`);
    return { href, want };
  };
  const streets = await same('street');
  assert(streets.want.rows.length > 0, 'the district has streets to rank');
  await page.locator('[data-testid="assessment-panel"]').screenshot({ path: `${SHOTS}/screen-assessment.png` });
  // The CSV: the file the link saves (fetched with the token), UTF-8 with a BOM and a header.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="assessment-csv"]')]);
  assert(download.suggestedFilename().endsWith('.csv'), `a .csv file: ${download.suggestedFilename()}`);
  const r = await fetch(new URL(streets.href, BASE), { headers: { authorization: `Bearer ${tok}` } });
  const bytes = new Uint8Array(await r.arrayBuffer());
  assert(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'UTF-8 with a BOM');
  const lines = new TextDecoder().decode(bytes).trim().split(/\r?\n/);
  assert(lines.length === streets.want.rows.length + 1, `a header and a line per row: ${lines.length}`);
  for (const level of ['department', 'worker', 'grid']) {
    await page.click(`[data-testid="assessment-levels"] [data-level="${level}"]`);
    await page.waitForFunction((level) => window.riskmap.assessment.data?.level === level, level);
    await same(level);
  }
  await page.click('[data-testid="assessment-levels"] [data-level="street"]');
  await page.waitForFunction(() => window.riskmap.assessment.data?.level === 'street');
  await page.click('[data-lang]');
  const heads = await page.$$eval('[data-testid="assessment-table"] th', (th) => th.map((x) => x.textContent));
  assert(!HAN.test(heads.join(' ')), `columns in English: ${heads}`);
  await page.locator('[data-testid="assessment-panel"]').screenshot({ path: `${SHOTS}/screen-assessment-en.png` });
  await page.click('[data-lang]');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });
