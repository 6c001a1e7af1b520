// 随手拍 (issue 16), the public citizen page, on a phone with no login: a
// report sent from /report (the phone's position on the map, a category, a
// few words, a photo, a phone number; a wrong number said before sending)
// gives a tracking code; /report/{code} says it was received. The city works
// it through the REST API (accept, dispatch, sign, start, handle, verify,
// close with a public reply); the status page then shows the reply and
// 已办结, the citizen rates it five stars, and the city's statistics count
// the rating. Without a position the map asks for a tap; an unknown code is
// said plainly. Screenshots of both views in Chinese and English.
// The field login's staff member works the report (the point is in their
// grid); their duty is given back as it was.

import { deflateSync } from 'node:zlib';
import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, BASE, fieldWorker, phone, SHOTS, token, watchErrors } from './support.mjs';

// ---- a small valid PNG, made here -------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/** A w×h RGB PNG: a gradient with a red square, so a thumbnail shows something. */
export function png(w = 96, h = 72) {
  const rows = [];
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3);
    for (let x = 0; x < w; x++) {
      const red = x > w / 3 && x < (2 * w) / 3 && y > h / 3 && y < (2 * h) / 3;
      row.set(red ? [220, 30, 40] : [40, Math.round((200 * y) / h), Math.round((220 * x) / w)], 1 + x * 3);
    }
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, no filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ---- helpers ------------------------------------------------------------------

const STATE = '[data-testid="report-state"]';
const stateOf = (page) => page.getAttribute(STATE, 'data-status');

/** The incident a citizen report became, found by its tracking code among the newest. */
async function incidentOf(tok, code, since) {
  return eventually(async () => {
    const { incidents } = await api(tok, 'GET', `/api/incidents?from=${since}&limit=200`);
    return incidents.find((i) => i.intake?.tracking_code === code) ?? null;
  }, { message: `the incident with tracking code ${code}` });
}

async function act(tok, id, action, extra = {}) {
  return api(tok, 'POST', `/api/incidents/${id}/actions`, { action, ...extra });
}

// ---- tests ----------------------------------------------------------------------

test('随手拍: a citizen reports from the phone with a photo, follows it to closed with the reply, and rates it', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const admin = await token('admin', ADMIN_PASSWORD);
  // A point inside the field worker's grid: they can be sent to work it.
  const { fieldTok, staffId, here, disp } = await fieldWorker();
  const dutyBefore = (await api(disp, 'GET', `/api/staff/${staffId}`)).duty;
  const since = Date.now() - 60_000;
  const { context, page } = await phone(browser, { at: here });
  const errors = watchErrors(page);
  try {
    await page.goto(`${BASE}/report`);
    assert((await page.textContent('header h1')) === '随手拍', 'the page in Chinese by default');
    // The position: the marker where the phone stands.
    await eventually(async () => (await page.getAttribute('[data-testid="where-hint"]', 'data-where')) === 'located', { message: 'located' });
    const pos = await page.evaluate(() => window.riskmapReport.map.position);
    assert(Math.abs(pos.lon - here.longitude) < 1e-5 && Math.abs(pos.lat - here.latitude) < 1e-5, `the marker where the phone is: ${JSON.stringify(pos)}`);
    assert(await page.isVisible('[data-testid="report-marker"]'), 'the marker drawn');

    // What: the first category of the public list.
    const sel = '[data-testid="report-category"]';
    await page.waitForSelector(`${sel} option[value]:not([value=""])`, { state: 'attached' });
    const { categories } = await (await fetch(`${BASE}/api/public/categories`)).json();
    await page.selectOption(sel, categories[0].code);
    await page.fill('[data-testid="report-description"]', '人行道井盖缺失，行人容易绊倒（e2e）');

    // A photo, shown at once with a remove button.
    await page.setInputFiles('[data-testid="report-photo-input"]', { name: 'manhole.png', mimeType: 'image/png', buffer: png() });
    await page.waitForSelector('[data-testid="report-photos"] li img');
    assert(await page.$('[data-testid="report-photos"] [data-remove="0"]'), 'a remove button on the photo');

    // A wrong phone number: said, nothing sent.
    await page.fill('[data-testid="report-phone"]', '1380013800');
    await page.click('[data-testid="report-send"]');
    assert((await page.textContent('[data-testid="phone-error"]')).includes('11 位'), 'the short number said');
    assert((await page.textContent('[data-testid="report-message"]')).includes('请先改正'), 'the form says to correct it');
    await page.fill('[data-testid="report-phone"]', '138 0013 8000');
    await page.screenshot({ path: `${SHOTS}/report-new-390x844.png`, fullPage: true });

    // Send: proof of work, the photo, the report.
    await page.click('[data-testid="report-send"]');
    const code = (await page.waitForSelector('[data-testid="tracking-code"]', { timeout: 30_000 }).then((e) => e.textContent())).trim();
    assert(/^[A-Z2-9]{10}$/.test(code), `a tracking code, got ${code}`);
    await page.screenshot({ path: `${SHOTS}/report-sent-390x844.png`, fullPage: true });
    assert(await page.$(`[data-testid="my-reports"] [data-code="${code}"]`), 'listed under 我的上报');

    // The incident the city sees: where the phone was, the number masked, the photo attached.
    const inc = await incidentOf(admin, code, since);
    assert(inc.source === 'citizen', `a citizen report, is ${inc.source}`);
    assert(Math.abs(inc.lon - here.longitude) < 1e-5 && Math.abs(inc.lat - here.latitude) < 1e-5, 'at the marker');
    assert(inc.intake.phone === '138****8000', `the phone masked: ${inc.intake.phone}`);
    assert(inc.photos.length === 1 && /^[0-9a-f]{64}$/.test(inc.photos[0]), `the photo attached: ${JSON.stringify(inc.photos)}`);

    // Its status: received, with the photo.
    await page.click('[data-testid="status-link"]');
    await page.waitForURL(`${BASE}/report/${code}`);
    await page.waitForSelector(STATE);
    assert((await stateOf(page)) === 'received', `received, is ${await stateOf(page)}`);
    assert((await page.textContent(STATE)).includes('已提交'), 'said in words');
    assert((await page.textContent('[data-testid="report-code"]')) === code, 'the code shown');
    assert(await page.$('[data-testid="report-timeline"] li.done[data-step="received"]'), 'the timeline starts at received');
    const thumb = await eventually(() => page.$eval('[data-testid="report-thumb"]', (i) => i.complete && i.naturalWidth > 0), { message: 'the thumbnail loaded' });
    assert(thumb, 'the photo thumbnail shows');
    await page.click('[data-testid="report-thumb"]');
    await page.waitForSelector('[data-testid="lightbox"]:not([hidden]) img');
    await page.click('[data-testid="lightbox"]');
    await page.screenshot({ path: `${SHOTS}/report-status-received-390x844.png`, fullPage: true });

    // The city works it: accept, dispatch to the grid's worker, who signs,
    // starts and handles it; verify, and close with the public reply.
    const reply = '井盖已补装，感谢您的反映！（e2e）';
    await act(admin, inc.id, 'accept');
    await act(admin, inc.id, 'dispatch', { staff_id: staffId });
    await act(fieldTok, inc.id, 'sign');
    await act(fieldTok, inc.id, 'start');
    await act(fieldTok, inc.id, 'handle', { comment: '已补装井盖' });
    await act(admin, inc.id, 'verify');
    const closed = await act(admin, inc.id, 'close', { reply });
    assert(closed.state === 'closed' && closed.intake.reply === reply, `closed with the reply: ${closed.state}, ${JSON.stringify(closed.intake)}`);

    await page.reload();
    await eventually(async () => (await stateOf(page)) === 'closed', { message: 'closed on the status page' });
    assert((await page.textContent(STATE)) === '已办结', 'closed said in words');
    assert((await page.textContent('[data-testid="report-reply"]')).includes(reply), 'the reply shown');
    const steps = await page.$$eval('[data-testid="report-timeline"] li.done', (l) => l.map((x) => x.dataset.step));
    for (const s of ['received', 'accepted', 'dispatched', 'handling', 'handled', 'closed']) assert(steps.includes(s), `the timeline has ${s}: ${steps}`);
    assert(!(await page.$('[data-testid="report-timeline"] li.to-come')), 'nothing left to come');

    // Rate: five stars and a comment, once.
    await page.waitForSelector('[data-testid="rating-form"]');
    await page.click('[data-testid="rating-form"] button[type=submit]');
    assert((await page.textContent('[data-testid="rating-error"]')).includes('星级'), 'no stars chosen: said');
    await page.click('[data-testid="rating-form"] [data-score="5"]');
    await page.fill('[data-testid="rating-form"] textarea', '处理很及时，点赞');
    await page.click('[data-testid="rating-form"] button[type=submit]');
    await page.waitForSelector('[data-testid="rating-stars"]');
    assert((await page.getAttribute('[data-testid="rating-stars"]', 'data-score')) === '5', 'five stars shown');
    assert((await page.textContent('[data-testid="rating-comment"]')) === '处理很及时，点赞', 'the comment shown');
    assert(!(await page.$('[data-testid="rating-form"]')), 'rated once: no form any more');
    const view = await (await fetch(`${BASE}/api/public/reports/${code}`)).json();
    assert(view.rating?.score === 5 && view.can_rate === false, `rated on the server: ${JSON.stringify(view.rating)}`);
    const again = await fetch(`${BASE}/api/public/reports/${code}/rating`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ score: 1, comment: 'x' }) });
    assert(again.status === 409, `a second rating refused, got ${again.status}`);
    await page.screenshot({ path: `${SHOTS}/report-status-closed-390x844.png`, fullPage: true });

    const day = new Date();
    day.setHours(0, 0, 0, 0);
    const stats = await api(admin, 'GET', `/api/incidents/stats?from=${day.getTime()}`);
    assert(stats.satisfaction?.rated >= 1, `the rating counted in the statistics: ${JSON.stringify(stats.satisfaction)}`);
    assert((stats.by_source?.citizen ?? 0) >= 1, `a citizen report counted: ${JSON.stringify(stats.by_source)}`);

    // English: both views.
    await page.click('[data-lang]');
    assert((await page.textContent(STATE)) === 'Closed' && (await page.textContent('header h1')) === 'Report a problem', 'the status page in English');
    await page.screenshot({ path: `${SHOTS}/report-status-en-390x844.png`, fullPage: true });
    await page.goto(`${BASE}/report`);
    await page.waitForSelector('[data-testid="report-category"] option[value]:not([value=""])', { state: 'attached' });
    assert((await page.textContent('[data-testid="report-send"]')) === 'Send report', 'the form in English, remembered');
    await page.screenshot({ path: `${SHOTS}/report-new-en-390x844.png`, fullPage: true });
    await page.click('[data-lang]');
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
    if (dutyBefore === 'off') await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'off' }).catch(() => undefined);
  }
}, { timeoutMs: 120_000 });

test('随手拍: without a position the map asks for a tap, and a tap places the marker; an unknown code is said plainly', async ({ browser }) => {
  const { context, page } = await phone(browser, { deny: true });
  const errors = watchErrors(page);
  try {
    await page.goto(`${BASE}/report`);
    const hint = '[data-testid="where-hint"]';
    await eventually(async () => ['denied', 'unavailable'].includes(await page.getAttribute(hint, 'data-where')), { message: 'no position' });
    assert((await page.textContent(hint)).includes('点击地图'), `says to tap the map: ${await page.textContent(hint)}`);
    // Sending before placing it: said.
    await page.waitForSelector('[data-testid="report-category"] option[value]:not([value=""])', { state: 'attached' });
    await page.selectOption('[data-testid="report-category"]', { index: 1 });
    await page.fill('[data-testid="report-description"]', 'e2e: 未定位');
    await page.click('[data-testid="report-send"]');
    assert((await page.textContent('[data-testid="report-message"]')).includes('地图上标出'), 'asks for the place first');
    await page.screenshot({ path: `${SHOTS}/report-no-position-390x844.png`, fullPage: true });
    const box = await page.locator('[data-testid="report-map"] canvas').boundingBox();
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await eventually(async () => (await page.getAttribute(hint, 'data-where')) === 'placed', { message: 'placed by the tap' });
    assert(await page.isVisible('[data-testid="report-marker"]'), 'the marker drawn');
    const pos = await page.evaluate(() => window.riskmapReport.map.position);
    assert(Math.abs(pos.lon - 120.65) < 0.05 && Math.abs(pos.lat - 28.0) < 0.05, `placed near the city centre: ${JSON.stringify(pos)}`);

    await page.goto(`${BASE}/report/ZZZZZZZZZZ`);
    await page.waitForSelector('[data-testid="report-not-found"]');
    assert((await page.textContent('[data-testid="report-not-found"]')).includes('没有查询码为 ZZZZZZZZZZ 的上报'), 'no such report said');
    await page.goto(`${BASE}/report/not-a-code`);
    await page.waitForSelector('[data-testid="report-not-found"]');
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
  }
});
