// 提醒 (reminders) on the field phone: the alerts about the worker other than
// their own SOS. The city's administrator saves a geofence through the API (a
// small square beside the middle of the field worker's grid, entering and
// leaving reported); the worker, on duty, is moved by fixes posted as the
// `field` login (as their phone shares them) from outside the square to
// inside: the phone, open on /field, shows a 进入围栏 reminder within a few
// seconds, naming the fence, with the time and the safety hint, and buzzes;
// Chinese and English screenshots. Closed by the dispatcher, it leaves the
// phone. Moved out again, a 离开围栏 reminder comes; × hides it on this phone
// (a reload keeps it hidden) while the alert stays on the server until the
// dispatcher closes it. In the end the fence is deleted, the worker moved back
// to where they were and their duty given back, whatever happened.

import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, fieldWorker, login, phone, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const NAME = 'e2e提醒围栏';
const ZONE_KINDS = ['fence_enter', 'fence_exit', 'risk_zone'];
const reminder = (kind) => `[data-testid="reminder"][data-kind="${kind}"]`;

/** A square of half-side `r` degrees round a point, as a GeoJSON Polygon. */
function square({ longitude, latitude }, r) {
  const [w, e, s, n] = [longitude - r, longitude + r, latitude - r, latitude + r].map((v) => Number(v.toFixed(6)));
  return { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
}

/** Posts one fix of the field worker, as their phone would, taken now. */
async function moveTo(fieldTok, { longitude, latitude }) {
  const ack = await api(fieldTok, 'POST', '/api/fixes', { fixes: [{ lon: longitude, lat: latitude, t: Date.now(), accuracy: 6 }] });
  assert(ack.applied === 1, `the fix applied: ${JSON.stringify(ack)}`);
  // The next fix is strictly newer.
  await new Promise((r) => setTimeout(r, 50));
}

/** The worker's active alert of this kind raised by the test's fence, if any. */
async function fenceAlert(disp, staffId, kind, fenceId) {
  const { alerts } = await api(disp, 'GET', '/api/alerts?state=active');
  return alerts.find((a) => a.kind === kind && a.staff_id === staffId && a.id.includes(fenceId)) ?? null;
}

test('提醒 on the field phone: crossing into a geofence shows a 进入围栏 reminder naming it within seconds, Chinese and English; closed by the dispatcher it leaves; × hides one locally', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const admin = await token('admin', ADMIN_PASSWORD);
  const { disp, fieldTok, staffId, staff, here } = await fieldWorker();
  assert(staff.duty !== 'sos', `the field worker in no SOS: ${staff.duty}`);
  const started = Date.now();
  // The worker stands in the middle of their grid (outside); the square is some 60 m east of it (inside).
  const outside = here;
  const inside = { longitude: Number((here.longitude + 0.0006).toFixed(6)), latitude: here.latitude };
  const fence = { id: `e2e-remind-${started}`, name: NAME };
  const saved = await api(admin, 'POST', '/api/fences', {
    type: 'Feature', id: fence.id, geometry: square(inside, 0.0002), properties: { name: fence.name, detect: ['enter', 'exit'] },
  });
  assert(saved.saved === 1, `the fence saved: ${JSON.stringify(saved)}`);
  console.log(`     fence ${fence.id} round ${inside.longitude}, ${inside.latitude}`);
  // Alerts are raised for workers on duty only.
  const checkedIn = staff.duty === 'off';
  if (checkedIn) await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'available' });

  const { context, page } = await phone(browser, { at: outside });
  const errors = watchErrors(page);
  // The phone's buzzes, counted (a desktop Chromium has no vibrator).
  await page.addInitScript(() => {
    window.__buzz = [];
    Object.defineProperty(Navigator.prototype, 'vibrate', { configurable: true, value: (p) => (window.__buzz.push(p), true) });
  });
  try {
    await moveTo(fieldTok, outside);
    await login(page, '/field', 'field');
    await page.waitForFunction(() => window.riskmapField?.live.state === 'open' && window.riskmapField.reminders?.loads >= 1, null, { timeout: 20_000 });
    assert(!(await page.$(reminder('fence_enter'))), 'no 进入围栏 reminder before the crossing');

    // ---- into the fence: the reminder within a few seconds -----------------------------
    const buzzes = await page.evaluate(() => window.__buzz.length);
    const posted = Date.now();
    await moveTo(fieldTok, inside);
    await page.waitForSelector(reminder('fence_enter'), { timeout: 5000 });
    console.log(`     the phone showed the 进入围栏 reminder ${Date.now() - posted} ms after the fix was posted`);
    const item = reminder('fence_enter');
    assert(await page.isVisible('[data-testid="reminders"]'), 'the 提醒 card shown');
    assert((await page.textContent('[data-testid="reminders"] h2')).startsWith('提醒'), 'the card titled 提醒');
    assert((await page.textContent(`${item} [data-testid="reminder-kind"]`)) === '进入围栏', 'the kind in words');
    const note = await page.textContent(`${item} [data-testid="reminder-note"]`);
    assert(note.includes(NAME), `the note names the fence: ${note}`);
    assert(/^\d\d:\d\d$/.test(await page.textContent(`${item} [data-testid="reminder-time"]`)), 'the time raised, HH:MM');
    assert((await page.textContent(`${item} [data-testid="reminder-hint"]`)) === '注意安全，如非工作需要请离开该区域', 'the safety hint');
    assert((await page.evaluate(() => window.__buzz.length)) > buzzes, 'the phone buzzed');
    const first = await page.getAttribute('[data-testid="reminder"]', 'data-kind');
    assert(first === 'fence_enter', `the new one at the top: ${first}`);
    const entered = await eventually(() => fenceAlert(disp, staffId, 'fence_enter', fence.id), { message: "the dispatcher's view of the alert" });
    assert((await page.getAttribute(item, 'data-alert')) === entered.id, `the reminder is the server's alert ${entered.id}`);
    await page.locator('[data-testid="reminders"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(3200); // the new one's flash over
    await page.screenshot({ path: `${SHOTS}/fieldAlerts-zh.png`, fullPage: true });

    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent(`${item} [data-testid="reminder-kind"]`)) === 'Entered a geofence', { message: 'the kind in English' });
    assert((await page.textContent('[data-testid="reminders"] h2')).startsWith('Reminders'), 'the card titled in English');
    const hint = await page.textContent(`${item} [data-testid="reminder-hint"]`);
    assert(hint.includes('Take care') && !HAN.test(hint), `the hint in English: ${hint}`);
    assert((await page.getAttribute(`${item} [data-testid="reminder-dismiss"]`, 'aria-label')) === 'Dismiss this reminder', '× named in English');
    await page.screenshot({ path: `${SHOTS}/fieldAlerts-en.png`, fullPage: true });
    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent(`${item} [data-testid="reminder-kind"]`)) === '进入围栏', { message: 'back in Chinese' });

    // ---- closed by the dispatcher: it leaves the phone ---------------------------------
    await api(disp, 'POST', `/api/alerts/${encodeURIComponent(entered.id)}/close`, { note: 'e2e: 已电话提醒网格员' });
    await eventually(async () => !(await page.$(item)), { timeoutMs: 3000, message: 'the closed reminder gone from the phone' });

    // ---- out again: 离开围栏, hidden by × on this phone only ----------------------------
    await moveTo(fieldTok, outside);
    const exit = reminder('fence_exit');
    await page.waitForSelector(exit, { timeout: 5000 });
    assert((await page.textContent(`${exit} [data-testid="reminder-kind"]`)) === '离开围栏', 'the exit in words');
    assert((await page.textContent(`${exit} [data-testid="reminder-note"]`)).includes(NAME), 'naming the fence');
    await page.click(`${exit} [data-testid="reminder-dismiss"]`);
    await eventually(async () => !(await page.$(exit)), { timeoutMs: 2000, message: 'the dismissed reminder hidden' });
    const left = await eventually(() => fenceAlert(disp, staffId, 'fence_exit', fence.id), { message: 'the exit alert still active on the server' });
    await page.reload();
    await page.waitForFunction(() => window.riskmapField?.live.state === 'open' && window.riskmapField.reminders?.loads >= 1, null, { timeout: 20_000 });
    await page.waitForTimeout(500);
    assert(!(await page.$(exit)), 'still hidden after a reload (this browser tab remembers)');
    await api(disp, 'POST', `/api/alerts/${encodeURIComponent(left.id)}/close`, { note: 'e2e: cleared' });
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    // Whatever happened: no alert of the test left running, no fence, the worker back as they were.
    const { alerts } = await api(disp, 'GET', '/api/alerts?state=active');
    for (const a of alerts.filter((x) => x.staff_id === staffId && ZONE_KINDS.includes(x.kind) && (x.id.includes(fence.id) || x.raised_ms >= started))) {
      await api(disp, 'POST', `/api/alerts/${encodeURIComponent(a.id)}/close`, { note: 'e2e: cleared' }).catch(() => undefined);
    }
    await api(admin, 'DELETE', `/api/fences/${encodeURIComponent(fence.id)}`).catch(() => undefined);
    await moveTo(fieldTok, { longitude: staff.lon, latitude: staff.lat }).catch(() => undefined);
    if (checkedIn) await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'off' }).catch(() => undefined);
    await context.close();
  }
  const after = await api(disp, 'GET', `/api/staff/${staffId}`);
  assert(after.duty === staff.duty && Math.abs(after.lon - staff.lon) < 1e-6 && Math.abs(after.lat - staff.lat) < 1e-6, `the field worker as before: ${after.duty} at ${after.lon},${after.lat}`);
  assert(!(await api(admin, 'GET', '/api/fences')).features.some((f) => f.id === fence.id), 'the fence deleted');
}, { timeoutMs: 120_000 });
