// 场所码 (venue codes) through the real pages: the city administrator opens
// /admin#venues, finds a key place of the field worker's grid (one is made
// there when the demo city has none), downloads its QR code as SVG (saved as
// 场所码-name-id.svg, the code printed in it) and previews it (the PNG through
// an object URL, the code and the link beneath), in Chinese and English. The
// field worker's phone, standing at the place, opens the link the QR code
// carries (/field?venue=CODE, as a phone's camera would): after the login the
// 场所检查 sheet is open with the code and the address has lost it; an
// inspection with a 不合格 item, a note and a photo is recorded (the success
// card, the API's record, the admin's recent inspections), and the same code
// with its last character altered is refused as not issued by this server.
// Screenshots in Chinese and English.

import { readFile } from 'node:fs/promises';
import { assert, eventually, test } from './harness.mjs';
import { png } from './citizen.mjs';
import { ADMIN_PASSWORD, api, BASE, fieldWorker, inside, login, phone, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const DESK = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };
const SHEET = '[data-testid="venue-sheet"]';
/** Made in the field worker's grid when the demo city has no key place there. */
const MADE = { id: 'E2E-VENUE-1', name: '场所码测试社区服务站', category: '社区服务站' };

/** Where a phone stands at a key place: its point, or inside its area. */
function standAt(geometry) {
  if (geometry.type === 'Point') return { longitude: geometry.coordinates[0], latitude: geometry.coordinates[1] };
  return inside(geometry);
}

let chosen = null;

/**
 * A key place in the field worker's grid (their login sees that grid's only),
 * its code as the administrator's API gives it, and the field worker.
 */
async function venue() {
  if (chosen) return chosen;
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const worker = await fieldWorker();
  const admin = await token('admin', ADMIN_PASSWORD);
  const { features } = await api(worker.fieldTok, 'GET', '/ogc/collections/key_places/items?limit=100');
  const found = features.find((f) => f.geometry && (f.id ?? f.properties?.id));
  let place;
  if (found) {
    place = { id: String(found.id ?? found.properties.id), name: found.properties.name, at: standAt(found.geometry) };
  } else {
    const imported = await api(admin, 'POST', '/ogc/collections/key_places/items?mode=merge', {
      type: 'FeatureCollection',
      features: [{ type: 'Feature', id: MADE.id, geometry: { type: 'Point', coordinates: [worker.here.longitude, worker.here.latitude] }, properties: MADE }],
    });
    assert(imported.imported === 1, `a key place made in the worker's grid: ${JSON.stringify(imported)}`);
    place = { id: MADE.id, name: MADE.name, at: worker.here };
  }
  console.log(`     key place ${place.id} ${place.name}${found ? '' : ' (made for the test)'}`);
  const code = await api(admin, 'GET', `/api/venues/${encodeURIComponent(place.id)}/code`);
  assert(code.place_id === place.id && code.name === place.name, `the place's code: ${JSON.stringify(code)}`);
  assert(code.path === `/field?venue=${code.code}`, `the field page's path: ${code.path}`);
  chosen = { ...worker, admin, place, code };
  return chosen;
}

/**
 * The code with its last character changed to another that still decodes (a
 * 16-byte signature's last base64url character carries 2 bits: A, Q, g or w):
 * forged, not malformed.
 */
function forge(code) {
  const swap = { A: 'Q', Q: 'g', g: 'w', w: 'A' }[code.at(-1)] ?? 'A';
  return code.slice(0, -1) + swap;
}

/** The header's 中/EN switch, under the sheet (a click there would land on the sheet's backdrop). */
const switchLang = (page) => page.dispatchEvent('[data-lang]', 'click');

/** The admin page on its 场所码 tab, the place found by the search box. */
async function adminVenues(browser) {
  const { place } = await venue();
  const context = await browser.newContext(DESK);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await login(page, '/admin#venues', 'admin', ADMIN_PASSWORD);
  await page.waitForSelector('[data-testid="venue-places-table"]', { timeout: 30_000 });
  assert((await page.getAttribute('[data-testid="tab-venues"]', 'aria-selected')) === 'true', 'the 场所码 tab shown by the address');
  await page.fill('[data-testid="venue-filter"]', place.id);
  const row = `[data-testid="venue-places-table"] tr[data-place="${place.id}"]`;
  await page.waitForSelector(row);
  return { context, page, errors, row };
}

/** Opens 预览 and waits for the QR code drawn from its object URL. */
async function preview(page, row) {
  await page.click(`${row} [data-testid="venue-preview-button"]`);
  return eventually(
    () => page.$eval('[data-testid="venue-qr"]', (img) => (img.complete && img.naturalWidth > 0 ? { w: img.naturalWidth, src: img.src } : null)).catch(() => null),
    { message: 'the QR code in the preview' },
  );
}

test('场所码 on /admin: a key place of the field worker’s grid is previewed (QR code, code, link) and downloaded as SVG, in Chinese and English', async ({ browser }) => {
  const { place, code } = await venue();
  const { context, page, errors, row } = await adminVenues(browser);
  try {
    assert((await page.textContent(`${row} td.name`)).trim() === place.name, 'the place listed by name');
    const count = await page.textContent('[data-testid="venue-count"]');
    assert(/共 \d+ 个场所/.test(count), `the count said: ${count}`);
    // 下载 SVG: fetched with the token, saved under a readable name, the code printed in it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(`${row} [data-testid="venue-download-svg"]`)]);
    const name = download.suggestedFilename();
    assert(name.startsWith('场所码-') && name.endsWith(`-${place.id}.svg`), `saved as 场所码-name-id.svg: ${name}`);
    if (!/[\\/:*?"<>|]/.test(place.name)) assert(name === `场所码-${place.name}-${place.id}.svg`, `the place's name in the file name: ${name}`);
    const svg = await readFile(await download.path(), 'utf8');
    assert(svg.includes('<svg') && svg.includes(code.code), 'an SVG with the code printed beneath the QR code');
    // 预览: the PNG through an object URL, the code and the link it opens.
    const qr = await preview(page, row);
    assert(qr.src.startsWith('blob:') && qr.w >= 21, `the QR code drawn from an object URL: ${JSON.stringify(qr)}`);
    assert((await page.textContent('[data-testid="venue-code-text"]')) === code.code, 'the code printed under it');
    const link = await page.textContent('[data-testid="venue-link"]');
    // the server's link (what the QR code carries), here as the browser reached it
    assert(link === code.link && link === `${new URL(BASE).origin}${code.path}`, `the link the QR code carries: ${link}`);
    await page.screenshot({ path: `${SHOTS}/venue-admin-preview.png` });
    await page.click('[data-testid="venue-preview-close"]');
    await page.screenshot({ path: `${SHOTS}/venue-admin.png`, fullPage: true });
    // In English: the tab, the table, the preview.
    await page.click('[data-lang]');
    await eventually(async () => (await page.textContent('[data-testid="tab-venues"]')) === 'Venue codes', { message: 'the admin page in English' });
    const words = await page.$$eval(
      '[data-testid="venues-section"] h2, [data-testid="venues-section"] th, [data-testid="venues-section"] button, [data-testid="venues-section"] a.button, [data-testid="inspections-section"] h2, [data-testid="inspections-section"] button',
      (e) => e.map((x) => x.textContent).join(' '),
    );
    assert(!HAN.test(words), `the 场所码 tab in English: ${words}`);
    await page.screenshot({ path: `${SHOTS}/venue-admin-en.png`, fullPage: true });
    await preview(page, row);
    const dialog = await page.$$eval('[data-testid="venue-preview"] dt, [data-testid="venue-preview"] .buttons', (e) => e.map((x) => x.textContent).join(' '));
    assert(!HAN.test(dialog), `the preview in English: ${dialog}`);
    await page.screenshot({ path: `${SHOTS}/venue-admin-preview-en.png` });
    await page.click('[data-testid="venue-preview-close"]');
    await page.click('[data-lang]');
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
  }
}, { timeoutMs: 90_000 });

test('场所码 on the field phone: opened by the printed link at the place, an inspection with a failed item, a note and a photo is recorded and listed on /admin; a forged code is refused', async ({ browser }) => {
  const { place, code, admin, staffId } = await venue();
  const before = (await api(admin, 'GET', `/api/venues/inspections?place=${encodeURIComponent(place.id)}`)).inspections.length;
  const { context, page } = await phone(browser, { at: place.at });
  const errors = watchErrors(page);
  const opened = [context];
  try {
    // The link the QR code carries, as the phone's camera opens it: the login first, then the sheet.
    await login(page, code.path, 'field');
    await page.waitForSelector(`${SHEET} [data-testid="venue-form"]`, { timeout: 20_000 });
    assert((await page.inputValue(`${SHEET} [data-testid="venue-code"]`)) === code.code, 'the sheet holds the code');
    assert(!page.url().includes('venue='), `the code left the address (a reload does not open it again): ${page.url()}`);
    await eventually(async () => (await page.textContent(`${SHEET} [data-testid="venue-position"]`)).includes('±8'), { message: "the phone's position in the sheet" });
    // 检查: one item 不合格 with what is wrong, a note, a photo.
    assert((await page.$$(`${SHEET} [data-testid="venue-check"]`)).length === 5, 'the five default items');
    await page.click(`${SHEET} [data-check="extinguisher"] button[data-value="bad"]`);
    await page.fill(`${SHEET} [data-check-note="extinguisher"]`, '灭火器过期');
    await page.fill(`${SHEET} [data-testid="venue-note"]`, '已要求三日内更换');
    await page.setInputFiles(`${SHEET} [data-testid="photo-input-venue"]`, { name: 'venue.png', mimeType: 'image/png', buffer: png(640, 480) });
    await page.waitForSelector(`${SHEET} [data-testid="photo-preview"][data-state="done"]`, { timeout: 30_000 });
    assert((await page.inputValue(`${SHEET} [data-check-note="extinguisher"]`)) === '灭火器过期', 'the item note survives the photo');
    await page.screenshot({ path: `${SHOTS}/venue-field-sheet.png` });
    await page.click(`${SHEET} [data-testid="venue-submit"]`);
    const answer = await eventually(() => page.$(`${SHEET} [data-testid="venue-success"], ${SHEET} [data-testid="venue-error"]`), { message: 'an answer to the scan' });
    assert(await page.$(`${SHEET} [data-testid="venue-success"]`), `the inspection recorded, got: ${await answer.textContent()}`);
    const card = `${SHEET} [data-testid="venue-success"]`;
    assert((await page.textContent(`${card} [data-testid="venue-success-place"]`)).includes(place.name), 'the place named on the card');
    assert((await page.textContent(`${card} [data-testid="venue-success-kind"]`)) === '检查', 'an inspection');
    assert((await page.getAttribute(`${card} [data-testid="venue-success-problems"]`, 'data-n')) === '1', 'one problem found');
    const distance = Number(await page.getAttribute(`${card} [data-testid="venue-success-distance"]`, 'data-m'));
    assert(distance >= 0 && distance <= 100, `at the place: ${distance} m`);
    const id = await page.getAttribute(card, 'data-inspection');
    const { inspections } = await api(admin, 'GET', `/api/venues/inspections?place=${encodeURIComponent(place.id)}`);
    assert(inspections.length === before + 1, `one inspection more: ${before} → ${inspections.length}`);
    const rec = inspections.find((i) => i.id === id);
    assert(rec && rec.kind === 'inspection' && rec.staff_id === staffId && rec.problems === 1, `the record: ${JSON.stringify(rec)}`);
    assert(rec.checklist.some((c) => c.item === '灭火器有效' && !c.ok && c.note === '灭火器过期'), `the failed item with its note: ${JSON.stringify(rec.checklist)}`);
    assert(rec.note === '已要求三日内更换' && rec.photos.length === 1, `the note and the photo: ${JSON.stringify(rec)}`);
    await page.screenshot({ path: `${SHOTS}/venue-field-success.png` });
    await switchLang(page);
    await eventually(async () => (await page.textContent(`${card} h3`)).includes('Inspection recorded'), { message: 'the card in English' });
    await page.screenshot({ path: `${SHOTS}/venue-field-success-en.png` });
    await switchLang(page);

    // The same code with its last character altered: refused, said plainly, nothing recorded.
    await page.click(`${SHEET} [data-testid="venue-again"]`);
    await page.fill(`${SHEET} [data-testid="venue-code"]`, forge(code.code));
    await page.click(`${SHEET} [data-testid="venue-submit"]`);
    const refused = `${SHEET} [data-testid="venue-error"]`;
    const said = await eventually(() => page.textContent(refused).catch(() => null), { message: 'the refusal' });
    assert(said.includes('不是本系统签发'), `a forged code refused as such: ${said}`);
    assert((await page.getAttribute(refused, 'data-status')) === '403', 'the server refused it (403)');
    await page.screenshot({ path: `${SHOTS}/venue-field-forged.png` });
    await switchLang(page);
    await eventually(async () => (await page.textContent(refused)).includes('not issued by this server'), { message: 'the refusal in English' });
    const labels = await page.$$eval(`${SHEET} legend, ${SHEET} .toggle button, ${SHEET} [data-testid="venue-submit"]`, (e) => e.map((x) => x.textContent).join(' '));
    assert(!HAN.test(labels), `the sheet in English: ${labels}`);
    await page.screenshot({ path: `${SHOTS}/venue-field-forged-en.png` });
    await switchLang(page);
    const after = (await api(admin, 'GET', `/api/venues/inspections?place=${encodeURIComponent(place.id)}`)).inspections.length;
    assert(after === before + 1, `nothing recorded for the forged code: ${after}`);
    // A reload does not open the sheet again.
    await page.reload();
    await page.waitForSelector('[data-testid="venue-open"]');
    assert(await page.$eval(SHEET, (el) => el.hidden), 'the sheet stays closed after a reload');
    await page.locator('[data-testid="venue-entry"]').screenshot({ path: `${SHOTS}/venue-field-entry.png` });

    // The administrator's recent inspections list it.
    const desk = await adminVenues(browser);
    opened.push(desk.context);
    const listed = `[data-testid="venue-inspections-table"] tr[data-inspection="${id}"]`;
    await desk.page.waitForSelector(listed);
    assert((await desk.page.textContent(`${listed} td.kind`)) === '检查', 'listed as an inspection');
    assert((await desk.page.getAttribute(`${listed} td.problems`, 'data-n')) === '1', 'with its problem');
    assert((await desk.page.textContent(`${desk.row} td.last`)).includes(rec.staff_name), "the place's last inspection in the list");
    await desk.page.locator('[data-testid="inspections-section"]').screenshot({ path: `${SHOTS}/venue-admin-inspections.png` });
    assert(desk.errors.length === 0, `admin page errors: ${desk.errors.join('; ')}`);
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    for (const c of opened) await c.close();
  }
}, { timeoutMs: 120_000 });
