// 静止 (a possible fall), a track rule's alert, made to really happen: a
// dispatcher posts the field worker's fixes at one spot 31 minutes apart
// (times two hours past: judged by their own time), the server raises the
// alert, and the big screen shows it in the alarm panel — amber, its kind,
// since when and for how long, a marker at the spot — and sounds the alarm
// until it is acknowledged; closed, it clears.
//
// Imported first by run.mjs: the rules judge only fixes newer than the live
// position, and the field worker's is the demo's old one until a test shares
// from the phone. Their duty is left alone; their position is given back
// (a last fix where they stood, taken now), and no alert is left running.

import { assert, eventually, test } from './harness.mjs';
import { api, featurePixel, fieldWorker, mapIdle, openScreen, SHOTS } from './support.mjs';

const MIN = 60_000;
const RULE_KINDS = ['motionless', 'left_grid'];

/** Closes the member's running rule alerts (a failed run's, or this one's leftovers). */
async function noRuleAlerts(disp, staffId) {
  const { alerts } = await api(disp, 'GET', '/api/alerts?state=active');
  for (const a of alerts.filter((x) => RULE_KINDS.includes(x.kind) && x.staff_id === staffId)) {
    await api(disp, 'POST', `/api/alerts/${a.id}/close`, { note: 'e2e: cleared' });
  }
}

const sounding = (page) => page.evaluate(() => window.riskmap.alarm.sounding);

test('静止 (possible fall): fixes at one spot for 31 minutes raise a rule alert; the big screen shows it amber and sounds until 认领, then 处置完毕 clears it', async ({ browser }) => {
  const { disp, staffId, staff, here } = await fieldWorker();
  assert(staff.duty === 'available', `the field worker on duty (available) for the rule to run: ${staff.duty}`);
  await noRuleAlerts(disp, staffId);
  const base = Date.now() - 120 * MIN;
  assert(staff.t < base, `the field worker's live fix (${new Date(staff.t).toISOString()}) older than the posted ones: run this before the tests that share from the phone`);
  const card = `[data-testid="sos-alert"][data-kind="motionless"][data-staff="${staffId}"]`;
  const screen = await openScreen(browser);
  const { page } = screen;
  try {
    assert(!(await page.$(card)) && !(await sounding(page)), 'no alert and no alarm before');

    // Standing still at one spot of their grid: 0, 15 and 31 minutes.
    const fixes = [0, 15, 31].map((m) => ({ staff_id: staffId, lon: here.longitude, lat: here.latitude, t: base + m * MIN, accuracy: 6 }));
    const posted = Date.now();
    const ack = await api(disp, 'POST', '/api/fixes', { fixes });
    assert(ack.applied === 3, `the three fixes applied: ${JSON.stringify(ack)}`);
    await page.waitForSelector(card, { timeout: 5000 });
    console.log(`     the big screen showed the 静止 alert ${Date.now() - posted} ms after the fixes were posted`);

    // The server's record: raised by the rule, at the spot, since the first fix there.
    const alert = (await api(disp, 'GET', '/api/alerts?state=active')).alerts.find((a) => a.kind === 'motionless' && a.staff_id === staffId);
    assert(alert && alert.steps[0].by === 'riskmap' && alert.since_ms === base, `the server's alert: ${JSON.stringify(alert)}`);
    assert(Math.abs(alert.position.lon - here.longitude) < 1e-5 && Math.abs(alert.position.lat - here.latitude) < 1e-5, `at the spot: ${JSON.stringify(alert.position)}`);
    assert((await api(disp, 'GET', `/api/staff/${staffId}`)).duty === 'available', 'the duty left alone');

    // A possible fall is a safety alarm: it sounds, audibly (the login was a gesture).
    await eventually(() => sounding(page), { timeoutMs: 2000, message: 'the alarm sounding' });
    assert(await page.evaluate(() => window.riskmap.alarm.audible), 'the Web Audio context running');
    // Amber, not SOS red: its kind, since when and for how long.
    assert((await page.getAttribute('[data-testid="sos-panel"]', 'data-tone')) === 'rule', 'the panel amber (no SOS running)');
    assert(await page.evaluate(() => document.body.classList.contains('rule-alarm') && !document.body.classList.contains('sos-alarm')), 'the amber glow, not the red one');
    const title = await page.textContent('[data-testid="sos-panel"] h2');
    assert(title.includes('告警') && title.includes('一键求助'), `the panel's title: ${title}`);
    const kind = await page.textContent(`${card} [data-testid="alert-kind"]`);
    assert(kind.includes('静止') && kind.includes('摔倒'), `the kind: ${kind}`);
    const lasted = await page.textContent(`${card} [data-testid="alert-lasted"]`);
    assert(/^已持续 2 小时 \d+ 分钟$/.test(lasted), `how long, since the first fix two hours ago: ${lasted}`);
    const text = await page.textContent(card);
    assert(text.includes(staff.name) && text.includes('待认领') && !text.includes('求助中'), `the card: ${text}`);
    const colour = await page.$eval(card, (el) => getComputedStyle(el).borderLeftColor);
    assert(colour === 'rgb(255, 196, 0)', `an amber card: ${colour}`);

    // Clicking it flies to the spot, marked apart from an SOS.
    await page.click(`${card} .sos-head`);
    await mapIdle(page);
    await eventually(() => page.evaluate((id) => window.riskmap.map.queryRenderedFeatures({ layers: ['rule-point'] }).some((f) => f.properties.staff_id === id && f.properties.kind === 'motionless'), staffId), { message: 'the 静止 marker on the map' });
    assert(!(await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['sos-point'] }).length)), 'not drawn as an SOS');
    // And the marker leads back to the card (wherever the panel lists it), not into the grid under it.
    const scope = await page.evaluate(() => window.riskmap.scope?.code);
    const dot = await eventually(() => featurePixel(page, 'rule-point', alert.id), { message: 'the marker drawn' });
    await page.mouse.click(dot.x, dot.y);
    await eventually(async () => (await page.getAttribute(card, 'data-picked')) === 'true', { message: 'the card marked from the map' });
    assert((await page.evaluate(() => window.riskmap.scope?.code)) === scope, 'the click did not drill into the grid');
    assert(!(await page.$('[data-testid="risk-score"]')), "no grid's risk breakdown opened");
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/screen-rule-alert.png` });

    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent(`${card} [data-testid="alert-kind"]`)) === 'Not moving — possible fall', { message: 'the kind in English' });
    assert((await page.textContent('[data-testid="sos-panel"] h2')).includes('Alerts · SOS'), 'the title in English');
    assert(/^for 2 h \d+ min$/.test(await page.textContent(`${card} [data-testid="alert-lasted"]`)), 'how long, in English');
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${SHOTS}/screen-rule-alert-en.png` });
    await page.click('[data-lang]');

    // 认领 after a call: the alarm stops, the card stays (taken) until 处置完毕.
    await page.fill(`${card} input[name="sos-note"]`, '已电话联系，本人无恙');
    await page.click(`${card} [data-testid="sos-ack"]`);
    await eventually(async () => !(await sounding(page)), { timeoutMs: 2000, message: 'the alarm stopped' });
    await eventually(async () => (await page.getAttribute(card, 'data-state')) === 'acknowledged', { message: 'the card acknowledged' });
    const markerState = (id) => page.evaluate((id) => window.riskmap.map.queryRenderedFeatures({ layers: ['rule-point'], filter: ['==', ['get', 'id'], id] })[0]?.properties.state, id);
    await eventually(async () => (await markerState(alert.id)) === 'acknowledged', { timeoutMs: 3000, message: 'the marker taken (its darker yellow)' });
    assert((await page.textContent(card)).includes('已电话联系'), 'who took it, and their note');
    await page.click(`${card} [data-testid="sos-close"]`);
    await eventually(async () => !(await page.$(card)), { timeoutMs: 3000, message: 'the card gone' });
    // The map's markers are written as diffs (sosMap.ts): the ended alert is taken off it.
    await eventually(async () => !(await featurePixel(page, 'rule-point', alert.id)), { timeoutMs: 3000, message: 'the marker gone from the map' });
    assert(await page.isHidden('[data-testid="sos-panel"]'), 'the panel hidden once nothing runs');
    assert(!(await sounding(page)) && !(await page.evaluate(() => document.body.classList.contains('rule-alarm'))), 'no alarm, no glow');
    const closed = await api(disp, 'GET', `/api/alerts/${alert.id}`);
    assert(closed.alert.state === 'closed' && closed.alert.steps.map((s) => s.action).join() === 'raised,acknowledged,closed', `closed on the server: ${JSON.stringify(closed.alert.steps)}`);
    assert(screen.errors.length === 0, `page errors: ${screen.errors.join('; ')}`);
  } finally {
    await noRuleAlerts(disp, staffId);
    // Back where they stood, as of now (the other tests read the worker's position).
    await api(disp, 'POST', '/api/fixes', { fixes: [{ staff_id: staffId, lon: staff.lon, lat: staff.lat, t: Date.now(), accuracy: 6 }] });
    await screen.context.close();
  }
  const after = await api(disp, 'GET', `/api/staff/${staffId}`);
  assert(after.duty === staff.duty && Math.abs(after.lon - staff.lon) < 1e-6, `the field worker as before: ${after.duty} at ${after.lon},${after.lat}`);
}, { timeoutMs: 90_000 });
