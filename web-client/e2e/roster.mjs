// 排班 (the shift roster): the city's administrator saves, through the API,
// a shift running now (an hour either side, China time, every day) in the
// field worker's grid with three staff: the field worker, checked in (and
// heard from: a fix posted as the `field` login), a second member the
// dispatcher checks out (POST /api/staff/{id}/duty off), and a third. The
// big screen's 排班 · 应到未到 panel counts them as GET /api/roster/due
// does and lists the checked-out one as 未到岗 (a click flies the map to
// them); drilled into another district it says 暂无排班, into the worker's
// it lists them again (area=). On /admin#roster the shift is listed (grid
// by name, staff by name, 每天, the time), a file with broken shifts is
// refused shift by shift with nothing sent, the same roster imported
// through the tab (asked first) says the server's counts, 下载 saves it as
// JSON. Chinese and English screenshots. In the end, whatever happened, the
// roster is put back as it was (none, in the demo) and the members'
// duty as it was.

import { readFile } from 'node:fs/promises';
import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, fieldWorker, login, mapIdle, openScreen, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const DESK = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const PANEL = '[data-testid="panel-roster"]';

/** HH:MM in China time (UTC+8, the demo city's), `offsetMs` from now. */
function chinaTime(offsetMs) {
  const d = new Date(Date.now() + 8 * 3_600_000 + offsetMs);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/** What the pages say of a shift's time: 08:00–17:30, or 23:30–次日01:30 past midnight. */
const timeText = (start, end, lang = 'zh') => (end > start ? `${start}–${end}` : lang === 'zh' ? `${start}–次日${end}` : `${start}–${end} next day`);

/** A JSON file for the import form. */
const file = (name, json) => ({ name, mimeType: 'application/json', buffer: Buffer.from(typeof json === 'string' ? json : JSON.stringify(json)) });

/**
 * Two more staff for the worker's shift: of the worker's grid first (their
 * home grid), else the nearest; the second one not on a task or in an SOS
 * (the dispatcher checks them out), preferably on duty now.
 */
async function twoMore(admin, disp, grid, geometry, worker) {
  const ring = (geometry.type === 'Polygon' ? geometry.coordinates[0] : geometry.coordinates[0][0]);
  const xs = ring.map((p) => p[0]);
  const ys = ring.map((p) => p[1]);
  const pad = 0.02;
  const bbox = [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad].map((v) => v.toFixed(5)).join(',');
  const near = (await api(admin, 'GET', `/ogc/collections/staff/items?bbox=${bbox}&limit=2000`)).features
    .map((f) => ({ id: String(f.properties.id ?? f.id), home: f.properties.home_grid, at: f.geometry?.coordinates }))
    .filter((s) => s.id !== worker.id);
  const [cx, cy] = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  const far = (s) => (s.at ? Math.hypot(s.at[0] - cx, s.at[1] - cy) : 9);
  near.sort((a, b) => (b.home === grid) - (a.home === grid) || far(a) - far(b));
  const members = [];
  for (const s of near.slice(0, 12)) members.push({ ...s, ...(await api(disp, 'GET', `/api/staff/${s.id}`)) });
  const free = members.filter((m) => m.duty === 'available' || m.duty === 'off');
  const out = free.find((m) => m.duty === 'available') ?? free[0];
  assert(out, `a member near grid ${grid} free to be checked out: ${members.map((m) => `${m.id} ${m.duty}`).join(', ')}`);
  const third = members.find((m) => m.id !== out.id && m.duty !== 'sos');
  assert(third, `a third member near grid ${grid}`);
  return { out, third, ofGrid: members.filter((m) => m.home === grid).length };
}

test('排班 · 应到未到: a shift running now in the field worker’s grid; the big screen lists the checked-out member as 未到岗 and follows the drill-down; /admin#roster lists, refuses a broken file, imports and downloads it; Chinese and English', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const admin = await token('admin', ADMIN_PASSWORD);
  const { disp, fieldTok, staffId, staff: worker, here } = await fieldWorker();
  const grid = (await api(fieldTok, 'GET', '/api/me')).user.area;
  const geometry = (await api(fieldTok, 'GET', `/ogc/collections/areas/items/${grid}`)).geometry;
  const { out, third, ofGrid } = await twoMore(admin, disp, grid, geometry, worker);
  console.log(`     shift in grid ${grid}: ${staffId} (the field worker, ${worker.duty}), ${out.id} (${out.duty}, checked out), ${third.id} (${third.duty}); ${ofGrid} other staff have the grid as their home grid, the rest are the nearest`);
  const before = (await api(admin, 'GET', '/api/roster')).shifts;
  const start = chinaTime(-3_600_000);
  const end = chinaTime(3_600_000);
  const shift = { grid, staff: [staffId, out.id, third.id], days: DAYS, start, end, name: 'E2E 测试班' };
  const opened = [];
  try {
    // ---- the roster, the worker on duty and heard from, the second checked out --------
    const saved = await api(admin, 'PUT', '/api/roster', { shifts: [shift] });
    assert(saved.saved === 1 && saved.replaced === before.length, `saved, replacing the city's shifts: ${JSON.stringify(saved)}`);
    if (worker.duty === 'off') await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'available' });
    await api(fieldTok, 'POST', '/api/fixes', { fixes: [{ lon: here.longitude, lat: here.latitude, t: Date.now(), accuracy: 6 }] });
    await api(disp, 'POST', `/api/staff/${out.id}/duty`, { duty: 'off' });
    const due = await api(disp, 'GET', '/api/roster/due');
    assert(due.due === 3, `the three due now (the shift ${start}–${end} China time): ${JSON.stringify(due)}`);
    const absent = due.staff.find((s) => s.staff_id === out.id);
    assert(absent?.presence === 'absent' && absent.duty === 'off', `the checked-out member absent: ${JSON.stringify(absent)}`);
    assert(due.staff.find((s) => s.staff_id === staffId)?.presence !== 'absent', 'the field worker, on duty, not absent');
    assert(due.staff[0].presence === 'absent', 'the absent first');

    // ---- the big screen -------------------------------------------------------------------
    const screen = await openScreen(browser);
    opened.push(screen.context);
    const s = screen.page;
    const row = `${PANEL} [data-testid="roster-item"][data-staff="${out.id}"]`;
    await s.waitForSelector(row, { timeout: 20_000 });
    assert(await s.isVisible(PANEL), 'the panel shown');
    assert((await s.getAttribute(row, 'data-presence')) === 'absent', 'listed as absent');
    assert((await s.textContent(`${row} .badge`)) === '未到岗', 'said 未到岗');
    assert((await s.textContent(`${row} .time`)) === timeText(start, end), `the shift's time: ${await s.textContent(`${row} .time`)}`);
    const where = await s.textContent(`${row} .where`);
    assert(where.includes(absent.grid_name) && where.includes('E2E 测试班'), `the grid and the shift named: ${where}`);
    const scope = await s.evaluate(() => window.riskmap.scope.code);
    const shown = async () => Object.fromEntries(await Promise.all(['due', 'present', 'unreachable', 'absent'].map(async (k) => [k, Number(await s.textContent(`[data-testid="roster-${k}"]`))])));
    const api0 = await api(disp, 'GET', `/api/roster/due?area=${scope}`);
    const counts = await shown();
    assert(counts.due === 3 && counts.due === api0.due && counts.absent >= 1 && counts.present + counts.unreachable + counts.absent === 3, `应到 · 在岗 · 失联 · 未到岗 as the API: ${JSON.stringify(counts)} vs ${JSON.stringify(api0)}`);
    const listed = await s.$$eval(`${PANEL} [data-testid="roster-item"]`, (els) => els.map((e) => e.dataset.presence));
    const firstSilent = listed.indexOf('unreachable');
    const ordered = firstSilent < 0 || listed.slice(firstSilent).every((p) => p === 'unreachable');
    assert(listed.length === counts.absent + counts.unreachable && !listed.includes('present') && ordered, `the absent first, then the unreachable, the present not listed: ${listed}`);
    const workerRow = await s.$(`${PANEL} [data-staff="${staffId}"]`);
    assert(!workerRow || (await workerRow.getAttribute('data-presence')) === 'unreachable', 'the field worker not listed as absent');

    // A click flies the map to the member.
    const at = await api(disp, 'GET', `/api/staff/${out.id}`);
    await s.click(row);
    await eventually(() => s.evaluate(({ lon, lat }) => {
      const m = window.riskmap.map;
      const c = m.getCenter();
      return !m.isMoving() && m.getZoom() >= 16.5 && Math.abs(c.lng - lon) < 0.002 && Math.abs(c.lat - lat) < 0.002;
    }, at), { message: `the map at ${out.id}` });

    // Drilled into another district: nobody due there. Into the worker's: listed again.
    const { district, other } = await s.evaluate((g) => {
      const tree = window.riskmap.tree;
      const district = tree.chain(g).find((a) => a.level === 'district');
      const other = [...tree.byCode.values()].find((a) => a.level === 'district' && a.code !== district.code);
      return { district: district.code, other: other.code };
    }, grid);
    await s.evaluate((c) => window.riskmap.setScope(c, 'jump'), other);
    await s.waitForSelector(`${PANEL} [data-testid="roster-empty"]`);
    assert((await s.textContent(`${PANEL} [data-testid="roster-empty"]`)) === '暂无排班', 'no shifts in the other district');
    assert((await s.evaluate(() => window.riskmap.roster.area)) === other, 'read for the district (area=)');
    await s.evaluate((c) => window.riskmap.setScope(c, 'jump'), district);
    await s.waitForSelector(row);
    await mapIdle(s);
    await s.screenshot({ path: `${SHOTS}/roster-screen-zh.png` });
    await s.locator(PANEL).screenshot({ path: `${SHOTS}/roster-panel-zh.png` });
    await s.click('[data-lang]');
    await eventually(async () => (await s.textContent(`${PANEL} h2`)).includes('Roster · due but absent'), { message: 'the panel in English' });
    assert((await s.textContent(`${row} .badge`)) === 'Absent', 'Absent');
    assert((await s.textContent(`${row} .time`)) === timeText(start, end, 'en'), 'the time in English');
    const words = await s.$$eval(`${PANEL} h2, ${PANEL} .roster-counts .k, ${PANEL} .badge, ${PANEL} .time`, (e) => e.map((x) => x.textContent).join(' '));
    assert(!HAN.test(words), `the panel in English: ${words}`);
    await s.screenshot({ path: `${SHOTS}/roster-screen-en.png` });
    await s.locator(PANEL).screenshot({ path: `${SHOTS}/roster-panel-en.png` });
    await s.click('[data-lang]');

    // ---- /admin#roster --------------------------------------------------------------------
    const desk = await browser.newContext({ ...DESK, acceptDownloads: true });
    opened.push(desk);
    const page = await desk.newPage();
    const errors = watchErrors(page);
    await login(page, '/admin#roster', 'admin', ADMIN_PASSWORD);
    const tr = `[data-testid="roster-table"] tr[data-grid="${grid}"]`;
    await page.waitForSelector(tr, { timeout: 30_000 });
    assert((await page.getAttribute('[data-testid="tab-roster"]', 'aria-selected')) === 'true', 'the 排班 tab shown by the address');
    assert((await page.textContent(`${tr} td.grid`)).includes(absent.grid_name), 'the grid by name');
    assert((await page.textContent(`${tr} td.name`)) === 'E2E 测试班', 'the shift named');
    assert((await page.textContent(`${tr} td.days`)) === '每天', `the days in words: ${await page.textContent(`${tr} td.days`)}`);
    assert((await page.textContent(`${tr} td.time`)) === timeText(start, end), 'the time');
    await eventually(async () => (await page.textContent(`${tr} td.staff [data-staff="${out.id}"]`)).includes(absent.name), { message: 'the staff by name' });
    assert(/共 1 个班次/.test(await page.textContent('[data-testid="roster-count"]')), 'the count');
    await page.screenshot({ path: `${SHOTS}/roster-admin-zh.png`, fullPage: true });

    // A broken file: refused here, shift by shift, nothing sent.
    const flash = '[data-testid="roster-import-flash"]';
    const broken = { shifts: [shift, { ...shift, staff: [], start: '8:00' }, { ...shift, days: ['monday'], extra: 1 }] };
    await page.setInputFiles('[data-testid="roster-file"]', file('broken.json', broken));
    await page.click('[data-testid="roster-import-submit"]');
    await page.waitForSelector('[data-testid="roster-problems"]');
    const problems = await page.$$eval('[data-testid="roster-problems"] li', (e) => e.map((x) => x.textContent));
    assert(problems.length === 4 && problems[0].startsWith('第 2 个班次') && problems.some((p) => p.includes('"8:00"')) && problems.some((p) => p.includes('未知字段 extra')), `each problem said: ${problems.join(' | ')}`);
    assert((await page.getAttribute(flash, 'class')).includes('error') && (await page.textContent(flash)).includes('未导入'), 'said as a refusal');
    assert(!(await page.$('[data-testid="confirm"]')), 'not asked: nothing to send');
    await page.screenshot({ path: `${SHOTS}/roster-admin-refused.png`, fullPage: true });

    // The roster imported through the tab, asked first: the server's counts.
    await page.setInputFiles('[data-testid="roster-file"]', file('roster.json', [shift]));
    await page.click('[data-testid="roster-import-submit"]');
    await page.waitForSelector('[data-testid="confirm"]');
    assert((await page.textContent('[data-testid="confirm"]')).includes('替换您管辖范围内的全部排班'), 'asked first, saying all is replaced');
    await page.click('[data-testid="confirm"] [data-ok]');
    await eventually(async () => (await page.textContent(flash)) === '已保存 1 个班次，替换原有 1 个', { message: "the server's counts said" });
    await page.waitForSelector(tr);

    // 下载: the roster as the JSON the import takes.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="roster-download"]')]);
    const name = download.suggestedFilename();
    assert(/^排班-.+-\d{4}-\d\d-\d\d\.json$/.test(name), `saved under a readable name: ${name}`);
    const got = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert(got.shifts.length === 1 && got.shifts[0].grid === grid && got.shifts[0].staff.join() === shift.staff.join() && got.shifts[0].start === start, `the roster downloaded: ${JSON.stringify(got)}`);

    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent('[data-testid="tab-roster"]')) === 'Roster', { message: 'the admin page in English' });
    assert((await page.textContent(`${tr} td.days`)) === 'Every day', 'the days in English');
    assert((await page.textContent(`${tr} td.time`)) === timeText(start, end, 'en'), 'the time in English');
    const en = await page.$$eval(
      '[data-testid="roster-section"] h2, [data-testid="roster-section"] th, [data-testid="roster-section"] button, [data-testid="roster-section"] a, [data-testid="roster-import-section"] h2, [data-testid="roster-import-section"] label, [data-testid="roster-import-section"] button',
      (e) => e.map((x) => x.textContent).join(' '),
    );
    assert(!HAN.test(en), `the 排班 tab in English: ${en}`);
    await page.screenshot({ path: `${SHOTS}/roster-admin-en.png`, fullPage: true });
    await page.click('[data-lang]');
    assert(errors.length === 0 && screen.errors.length === 0, `page errors: ${[...errors, ...screen.errors].join('; ')}`);
  } finally {
    for (const c of opened) await c.close();
    // Whatever happened: the roster as it was, the members' duty as it was.
    await api(admin, 'PUT', '/api/roster', { shifts: before }).catch((e) => console.log(`     roster not restored: ${e.message}`));
    if (out.duty === 'available') await api(disp, 'POST', `/api/staff/${out.id}/duty`, { duty: 'available' }).catch(() => undefined);
    if (worker.duty === 'off') await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'off' }).catch(() => undefined);
  }
}, { timeoutMs: 150_000 });
