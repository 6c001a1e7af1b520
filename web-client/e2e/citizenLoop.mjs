// 随手拍 (issue 16), the whole loop through the real pages: a citizen on a
// phone, with no login, sends a report from /report (the phone's position on
// the map, a category, a few words, a photo, a phone number; a wrong number
// said before sending) and gets a tracking code; /report/{code} says it was
// received. The dispatcher's big screen opens it from the feed: the drawer
// shows the report's photo (a thumbnail, then the full image in the
// lightbox) and where it came from (the tracking code). The field worker's
// phone is open and shares its position; the drawer accepts the report and
// sends it to them, the task arrives on the phone, which signs and starts it
// and handles it with a photo of the repair attached (the flow log keeps the
// photo's id, its thumbnail is served). The drawer verifies it and closes it
// with a public reply; the status page then shows the reply and 已办结, the
// citizen rates it five stars, and the statistics — the API's and the big
// screen's panel — count the rating. Last, an administrator adds an intake
// source on /admin#intake and is shown its secret once. Screenshots in
// Chinese and English. The field login's duty is given back as it was.

import { assert, eventually, test } from './harness.mjs';
import { png } from './citizen.mjs';
import { ADMIN_PASSWORD, api, BASE, fieldWorker, login, openScreen, phone, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const STATE = '[data-testid="report-state"]';
const stateOf = (page) => page.getAttribute(STATE, 'data-status');
const DRAWER = '[data-testid="dispatch-panel"]';
const REPORT_THUMB = `${DRAWER} .photo-slot[data-photos="incident"] [data-testid="photo-thumb"]`;

/** The incident a citizen report became, found by its tracking code among the newest. */
async function incidentOf(tok, code, since) {
  return eventually(async () => {
    const { incidents } = await api(tok, 'GET', `/api/incidents?from=${since}&limit=200`);
    return incidents.find((i) => i.intake?.tracking_code === code) ?? null;
  }, { message: `the incident with tracking code ${code}` });
}

/**
 * A public category the drawer proposes the worker for: one that needs no
 * skill (占道经营 in the demo's dictionary), else one of theirs.
 */
async function publicCategoryFor(tok, skills) {
  const { categories: offered } = await (await fetch(`${BASE}/api/public/categories`)).json();
  const { categories } = await api(tok, 'GET', '/api/incidents/categories');
  const skill = new Map(categories.flatMap((c) => c.children ?? []).map((c) => [c.code, c.skill ?? null]));
  const c = offered.find((c) => skill.get(c.code) === null) ?? offered.find((c) => skills.includes(skill.get(c.code))) ?? offered[0];
  return c.code;
}

/** Waits until the drawer's report thumbnail has loaded (after each redraw of the drawer). */
function thumbLoaded(page) {
  return eventually(
    () => page.$eval(REPORT_THUMB, (b) => !b.classList.contains('loading') && !b.classList.contains('failed') && b.querySelector('img')?.naturalWidth > 0),
    { message: "the report's thumbnail in the drawer" },
  );
}

/** The drawer's state in words, once it reads `want`. */
function drawerSays(page, want) {
  return eventually(async () => (await page.textContent('[data-testid="incident-state"]').catch(() => '')) === want, { message: `the drawer saying ${want}` });
}

// ---- the loop -------------------------------------------------------------------

test('随手拍 citizen loop: a report with a photo is opened on the big screen, worked on the field phone with an after-photo, closed with a reply, rated, and counted', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  // A point inside the field worker's grid: the drawer proposes them.
  const { staffId, staff, here, disp } = await fieldWorker();
  const dutyBefore = staff.duty;
  const since = Date.now() - 60_000;
  const { context, page } = await phone(browser, { at: here });
  const errors = watchErrors(page);
  const opened = [context];
  try {
    await page.goto(`${BASE}/report`);
    assert((await page.textContent('header h1')) === '随手拍', 'the page in Chinese by default');
    // The position: the marker where the phone stands.
    await eventually(async () => (await page.getAttribute('[data-testid="where-hint"]', 'data-where')) === 'located', { message: 'located' });
    const pos = await page.evaluate(() => window.riskmapReport.map.position);
    assert(Math.abs(pos.lon - here.longitude) < 1e-5 && Math.abs(pos.lat - here.latitude) < 1e-5, `the marker where the phone is: ${JSON.stringify(pos)}`);
    assert(await page.isVisible('[data-testid="report-marker"]'), 'the marker drawn');

    // What: a category of the public list the field worker is skilled for.
    const sel = '[data-testid="report-category"]';
    await page.waitForSelector(`${sel} option[value]:not([value=""])`, { state: 'attached' });
    await page.selectOption(sel, await publicCategoryFor(disp, staff.skills ?? []));
    await page.fill('[data-testid="report-description"]', '人行道被流动摊位占满，行人只能走机动车道（e2e）');

    // A photo, shown at once with a remove button.
    await page.setInputFiles('[data-testid="report-photo-input"]', { name: 'stalls.png', mimeType: 'image/png', buffer: png(640, 480) });
    await page.waitForSelector('[data-testid="report-photos"] li img');
    assert(await page.$('[data-testid="report-photos"] [data-remove="0"]'), 'a remove button on the photo');

    // A wrong phone number: said, nothing sent.
    await page.fill('[data-testid="report-phone"]', '1380013800');
    await page.click('[data-testid="report-send"]');
    assert((await page.textContent('[data-testid="phone-error"]')).includes('11 位'), 'the short number said');
    assert((await page.textContent('[data-testid="report-message"]')).includes('请先改正'), 'the form says to correct it');
    // A number of its own for each run: the server takes five reports an hour from one number.
    await page.fill('[data-testid="report-phone"]', `138 ${String(Date.now() % 10_000).padStart(4, '0')} 8000`);
    await page.screenshot({ path: `${SHOTS}/report-new-390x844.png`, fullPage: true });

    // Send: proof of work, the photo, the report.
    await page.click('[data-testid="report-send"]');
    const code = (await page.waitForSelector('[data-testid="tracking-code"]', { timeout: 30_000 }).then((e) => e.textContent())).trim();
    assert(/^[A-Z2-9]{10}$/.test(code), `a tracking code, got ${code}`);
    await page.screenshot({ path: `${SHOTS}/report-sent-390x844.png`, fullPage: true });
    assert(await page.$(`[data-testid="my-reports"] [data-code="${code}"]`), 'listed under 我的上报');

    // The incident the city sees: where the phone was, the number masked, the photo attached.
    const inc = await incidentOf(disp, code, since);
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

    // ---- the big screen: the report opened from the feed, its photo and where it came from.
    const screen = await openScreen(browser);
    opened.push(screen.context);
    const desk = screen.page;
    await desk.click(`#feed [data-incident="${inc.id}"]`, { timeout: 10_000 });
    await eventually(async () => (await desk.textContent('[data-testid="incident-id"]').catch(() => '')) === inc.id, { message: 'the drawer of the report' });
    await thumbLoaded(desk);
    assert((await desk.getAttribute('[data-testid="incident-source"]', 'data-source')) === 'citizen', 'from a citizen');
    assert((await desk.textContent('[data-testid="incident-intake"] [data-testid="intake-tracking"]')).trim() === code, 'the tracking code in the intake block');
    assert((await desk.textContent('[data-testid="intake-phone"]')).trim() === '138****8000', 'the number masked in the drawer');
    await desk.screenshot({ path: `${SHOTS}/citizen-screen-drawer.png` });
    await desk.click(REPORT_THUMB);
    const full = await eventually(
      () => desk.$eval('[data-testid="photo-lightbox"] [data-testid="photo-full"]', (i) => (i.src.startsWith('blob:') && i.complete && i.naturalWidth > 0 ? i.src : null)),
      { message: 'the full image in the lightbox' },
    );
    assert(full.startsWith('blob:'), `the full image from the login's fetch: ${full}`);
    await desk.screenshot({ path: `${SHOTS}/citizen-screen-lightbox.png` });
    await desk.click('[data-testid="photo-lightbox-close"]');
    await desk.waitForSelector('[data-testid="photo-lightbox"]', { state: 'detached' });
    await desk.click('[data-lang]');
    await eventually(async () => !HAN.test(await desk.textContent('[data-testid="incident-intake"]').then((s) => s.replace(/138\*+8000/, '')).catch(() => '中')), { message: 'the intake block in English' });
    await thumbLoaded(desk);
    await desk.screenshot({ path: `${SHOTS}/citizen-screen-drawer-en.png` });
    await desk.click('[data-lang]');
    await thumbLoaded(desk);

    // ---- the field worker's phone: open, sharing its position, on duty.
    const field = await phone(browser, { at: here });
    opened.push(field.context);
    const fieldPage = field.page;
    const fieldErrors = watchErrors(fieldPage);
    await login(fieldPage, '/field', 'field');
    await fieldPage.waitForFunction(() => window.riskmapField?.live.state === 'open');
    await fieldPage.click('[data-share]');
    await eventually(async () => (await fieldPage.textContent('[data-testid="acked"]')) !== '—', { message: 'the fix acknowledged' });
    await eventually(async () => (await fieldPage.getAttribute('#duty', 'data-duty')) !== '', { message: 'the duty status read' });
    if ((await fieldPage.getAttribute('#duty', 'data-duty')) === 'off') {
      await fieldPage.click('[data-testid="duty-button"]');
      await eventually(async () => (await fieldPage.getAttribute('#duty', 'data-duty')) === 'available', { message: 'checked in first' });
    }

    // 受理, then 派遣 to the worker the drawer proposes.
    await desk.click(`${DRAWER} [data-action="accept"]`);
    const assign = `${DRAWER} [data-assign="${staffId}"]`;
    await desk.waitForSelector(assign, { timeout: 10_000 });
    await desk.click(assign);
    await eventually(async () => (await desk.getAttribute('[data-testid="incident-assignee"] [data-code]', 'data-code').catch(() => null)) === staffId, { message: 'assigned in the drawer' });

    // The task on the phone: sign, start, and handle with a photo of the repair.
    const card = `[data-task="${inc.id}"]`;
    await fieldPage.waitForSelector(card, { timeout: 10_000 });
    await fieldPage.click(`${card} [data-action="sign"]`);
    await fieldPage.waitForSelector(`${card} [data-action="start"]`);
    await fieldPage.click(`${card} [data-action="start"]`);
    await eventually(async () => (await fieldPage.$$eval(`${card} [data-action]`, (b) => b.map((x) => x.dataset.action).join())) === 'handle', { message: 'in progress: 办结 left' });
    // The photo is chosen while the card is redrawn under the open camera (a
    // pushed update, a move of the phone): it arrives on the input drawn
    // before, no longer in the page, and must still be taken.
    const redrawn = await fieldPage.evaluate(
      ({ input, bytes }) => {
        const old = document.querySelector(input);
        window.riskmapField.renderAll();
        const files = new DataTransfer();
        files.items.add(new File([new Uint8Array(bytes)], 'cleared.png', { type: 'image/png' }));
        old.files = files.files;
        old.dispatchEvent(new Event('change', { bubbles: true }));
        return !old.isConnected;
      },
      { input: `${card} [data-testid="photo-input-handle"]`, bytes: [...png(480, 360)] },
    );
    assert(redrawn, 'the card was redrawn under the picker');
    const after = await fieldPage.waitForSelector(`${card} [data-testid="photo-preview"][data-state="done"]`, { timeout: 30_000 });
    const afterId = await after.getAttribute('data-attachment');
    assert(/^[0-9a-f]{64}$/.test(afterId ?? ''), `the after-photo uploaded: ${afterId}`);
    await fieldPage.fill(`${card} textarea`, '已劝离摊贩，恢复通行');
    await fieldPage.locator(card).screenshot({ path: `${SHOTS}/citizen-field-task.png` });
    await fieldPage.click('[data-lang]');
    await fieldPage.waitForSelector(`${card} [data-testid="photo-preview"][data-state="done"]`, { timeout: 30_000 });
    assert((await fieldPage.inputValue(`${card} textarea`)) === '已劝离摊贩，恢复通行', 'the note survives the language switch');
    await fieldPage.locator(card).screenshot({ path: `${SHOTS}/citizen-field-task-en.png` });
    await fieldPage.click('[data-lang]');
    await fieldPage.click(`${card} [data-action="handle"]`);
    await fieldPage.waitForSelector(card, { state: 'detached', timeout: 10_000 });
    const { log } = await api(disp, 'GET', `/api/incidents/${inc.id}/log`);
    const handled = log.find((e) => e.action === 'handle');
    assert(handled?.comment === '已劝离摊贩，恢复通行', `the note in the flow log: ${JSON.stringify(handled)}`);
    assert(handled.photos?.length === 1 && handled.photos[0] === afterId, `the after-photo in the flow log: ${JSON.stringify(handled.photos)}`);
    const thumbAnswer = await fetch(`${BASE}/api/attachments/${afterId}/thumb`, { headers: { authorization: `Bearer ${disp}` } });
    assert(thumbAnswer.status === 200 && thumbAnswer.headers.get('content-type') === 'image/jpeg', `its thumbnail served: ${thumbAnswer.status} ${thumbAnswer.headers.get('content-type')}`);
    assert(fieldErrors.length === 0, `field page errors: ${fieldErrors.join('; ')}`);

    // ---- the drawer: 核查, then 结案 with the public reply.
    const reply = '摊位已劝离，人行道已恢复通行，感谢您的反映！（e2e）';
    await desk.waitForSelector(`${DRAWER} [data-action="verify"]`, { timeout: 10_000 });
    await eventually(() => desk.$(`${DRAWER} .photo-slot[data-photos^="log-"] [data-photo="${afterId}"]`), { message: 'the after-photo in the drawer’s flow log' });
    await desk.click(`${DRAWER} [data-action="verify"]`);
    await drawerSays(desk, '核查');
    await desk.fill('[data-testid="public-reply"]', reply);
    await desk.click(`${DRAWER} [data-action="close"]`);
    await drawerSays(desk, '结案');
    const closed = await api(disp, 'GET', `/api/incidents/${inc.id}`);
    assert(closed.state === 'closed' && closed.intake.reply === reply, `closed with the reply: ${closed.state}, ${JSON.stringify(closed.intake)}`);
    assert((await desk.textContent('[data-testid="intake-reply"]')).includes(reply), 'the reply in the drawer');

    // ---- the citizen: closed, the reply, and a rating.
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
    const stats = await api(disp, 'GET', `/api/incidents/stats?from=${day.getTime()}`);
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

    // ---- the big screen's statistics: the channels and the satisfaction (a reload reads them at once).
    const rated = () => desk.textContent('[data-testid="satisfied-rate"]').then((s) => s.trim()).catch(() => '');
    if (!(await eventually(rated, { timeoutMs: 5000, message: 'the satisfaction on the big screen' }).catch(() => ''))) {
      await desk.reload();
      await desk.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree !== null, null, { timeout: 30_000 });
    }
    const rate = await eventually(rated, { message: 'the satisfied rate on the big screen' });
    assert(/%$/.test(rate), `the satisfied share as a percentage: ${rate}`);
    assert(Number(await desk.getAttribute('[data-testid="channel-mix"] [data-source="citizen"]', 'data-count')) >= 1, 'citizen reports in the channel mix');
    const intakePanel = desk.locator('section:has(> [data-testid="panel-intake"])');
    await intakePanel.screenshot({ path: `${SHOTS}/citizen-screen-intake-stats.png` });
    await desk.click('[data-lang]');
    await eventually(async () => !HAN.test(await intakePanel.textContent()), { message: 'the statistics panel in English' });
    await intakePanel.screenshot({ path: `${SHOTS}/citizen-screen-intake-stats-en.png` });
    await desk.click('[data-lang]');
    assert(screen.errors.length === 0, `big screen errors: ${screen.errors.join('; ')}`);

    // ---- 接入: an administrator adds an intake source; its secret is shown once.
    const admin = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' });
    opened.push(admin);
    const adminPage = await admin.newPage();
    const adminErrors = watchErrors(adminPage);
    await login(adminPage, '/admin#intake', 'admin', ADMIN_PASSWORD);
    await adminPage.waitForSelector('[data-testid="intake-section"]');
    assert((await adminPage.getAttribute('[data-testid="tab-intake"]', 'aria-selected')) === 'true', 'the intake tab shown by the address');
    await adminPage.click('[data-testid="create-source"]');
    const form = '[data-testid="intake-form"]';
    await adminPage.waitForSelector(form);
    const name = `e2e-hotline-${Date.now()}`;
    await adminPage.fill(`${form} input[name=name]`, name);
    await adminPage.fill(`${form} input[name=title]`, '12345 热线（e2e）');
    await adminPage.selectOption(`${form} select[name=kind]`, 'hotline');
    await adminPage.fill(`${form} [data-testid="intake-categories"]`, `A01=${inc.category}`);
    // The server posts callbacks over plain HTTP only: an https:// address is said before sending.
    await adminPage.fill(`${form} input[name=callback_url]`, 'https://hotline.example.org/callback');
    await adminPage.click(`${form} button[type=submit]`);
    assert((await adminPage.textContent('[data-testid="intake-error"]')).includes('http://'), 'an https callback refused in the form');
    await adminPage.fill(`${form} input[name=callback_url]`, 'http://hotline.example.org/callback');
    await adminPage.screenshot({ path: `${SHOTS}/citizen-admin-intake-form.png` });
    await adminPage.click(`${form} button[type=submit]`);
    await adminPage.waitForSelector('[data-testid="intake-secret-dialog"]');
    const secret = await adminPage.inputValue('[data-testid="intake-secret"]');
    assert(secret.length >= 16, `a secret made by the server: ${secret.length} characters`);
    await adminPage.screenshot({ path: `${SHOTS}/citizen-admin-intake-secret.png` });
    await adminPage.click('[data-testid="intake-secret-dialog"] button[type=submit]');
    await eventually(async () => (await adminPage.textContent('[data-testid="intake-sources"]')).includes(name), { message: 'the source listed' });
    const listed = (await api(await token('admin', ADMIN_PASSWORD), 'GET', '/api/intake/sources')).sources.find((s) => s.name === name);
    assert(listed?.kind === 'hotline' && listed.categories?.A01 === inc.category && !listed.secret, `saved, the secret not given again: ${JSON.stringify(listed)}`);
    await adminPage.click('[data-lang]');
    await eventually(async () => (await adminPage.textContent('[data-testid="tab-intake"]')) === 'Intake', { message: 'the admin page in English' });
    await adminPage.screenshot({ path: `${SHOTS}/citizen-admin-intake-en.png`, fullPage: true });
    await adminPage.click('[data-testid="create-source"]');
    await adminPage.waitForSelector(form);
    assert(!HAN.test(await adminPage.textContent(form)), `the form in English: ${await adminPage.textContent(form)}`);
    await adminPage.screenshot({ path: `${SHOTS}/citizen-admin-intake-form-en.png` });
    await adminPage.click(`${form} [data-cancel]`);
    await adminPage.click('[data-lang]');
    assert(adminErrors.length === 0, `admin page errors: ${adminErrors.join('; ')}`);
  } finally {
    for (const c of opened) await c.close();
    if (dutyBefore === 'off') await api(disp, 'POST', `/api/staff/${staffId}/duty`, { duty: 'off' }).catch(() => undefined);
  }
}, { timeoutMs: 180_000 });
