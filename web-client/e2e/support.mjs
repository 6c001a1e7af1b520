// What the browser tests share: the server's address, REST calls as another
// operator, logging in, waiting for the map.

import { mkdirSync } from 'node:fs';
import { assert, eventually } from './harness.mjs';

export const BASE = process.env.RISKMAP_URL ?? 'http://127.0.0.1:8080';
export const SHOTS = process.env.RISKMAP_SHOTS ?? new URL('../test-results/', import.meta.url).pathname;
export const PASSWORD = 'riskmap-demo';
/** The city-wide administrator's password: scripts/web-test.sh chooses it for the fresh store. */
export const ADMIN_PASSWORD = process.env.RISKMAP_ADMIN_PASSWORD ?? '';
mkdirSync(SHOTS, { recursive: true });

// ---- REST helpers (the test acting as another operator) ----------------------

export async function token(username, password = PASSWORD) {
  const r = await fetch(`${BASE}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert(r.ok, `login ${username}: ${r.status}`);
  return (await r.json()).token;
}

export async function api(tok, method, path, body) {
  const r = await fetch(BASE + path, {
    method,
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A category whose skill the staff member has, so they are a suitable candidate. */
export async function categoryFor(tok, skills) {
  const { categories } = await api(tok, 'GET', '/api/incidents/categories');
  const minors = categories.flatMap((c) => c.children ?? []);
  return (minors.find((c) => skills.includes(c.skill)) ?? minors[0]).code;
}

/**
 * A department (`code`, of `kind`, serving `area`) whose own limit to sign (签收)
 * runs out in about a second for an emergency (0.003 h × 0.1, on the natural
 * clock): an incident sent to it turns red (超期) at once.
 */
export async function hastyDepartment(tok, { code, name, kind, area }) {
  await api(tok, 'POST', '/api/departments', { departments: [{ code, name, kind, area, limits: { sign: 0.003, handle: 1 } }] });
}

/** An emergency incident at `at` ({lon, lat}), accepted and sent to a hasty `department`; once the server says it is overdue. */
export async function overdueIncident(tok, { category, at, department, description }) {
  const inc = await api(tok, 'POST', '/api/incidents', { category, source: 'hotline', priority: 'emergency', ...at, description });
  await api(tok, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'accept' });
  await api(tok, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'dispatch', department });
  await eventually(async () => (await api(tok, 'GET', `/api/incidents/${inc.id}`)).warning === 'red', { timeoutMs: 15_000, message: `${inc.id} overdue on the server` });
  return inc;
}

// ---- browser helpers -------------------------------------------------------------

/** A point inside a grid: the mean of its ring's vertices (the demo's grids are convex-ish). */
export function inside(geometry) {
  const ring = (geometry.type === 'Polygon' ? geometry.coordinates[0] : geometry.coordinates[0][0]).slice(0, -1);
  return {
    longitude: Number((ring.reduce((s, q) => s + q[0], 0) / ring.length).toFixed(6)),
    latitude: Number((ring.reduce((s, q) => s + q[1], 0) / ring.length).toFixed(6)),
  };
}

/** A phone for the field user; geolocation granted at `at` unless `deny`. */
export async function phone(browser, { at, deny = false, lang = 'zh' } = {}) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN',
    ...(at ? { permissions: ['geolocation'], geolocation: { ...at, accuracy: 8 } } : {}),
  });
  if (lang === 'en') await context.addInitScript(() => localStorage.setItem('riskmap.lang', 'en'));
  const page = await context.newPage();
  if (deny) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Browser.setPermission', { permission: { name: 'geolocation' }, setting: 'denied', origin: BASE });
  }
  return { context, page };
}

export function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}

export async function login(page, path, username, password = PASSWORD) {
  await page.goto(BASE + path);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('form.login button[type=submit]');
}

/** A big screen logged in as `username`, with the city loaded and the first snapshot in. */
export async function openScreen(browser, { width = 1920, height = 1080, username = 'dispatcher', password = PASSWORD, path = '/' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await login(page, path, username, password);
  // WebGL runs on the CPU here (SwiftShader): a 4K screen draws four times the pixels.
  const slow = Math.max(1, (width * height) / (1920 * 1080));
  await page.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree !== null, null, { timeout: 30_000 * slow });
  await mapIdle(page, 20_000 * slow);
  return { context, page, errors };
}

/**
 * Waits until the map has stopped moving and the static layers are drawn. (Not
 * `idle`: the live staff source is rewritten every tick, so it never is.)
 */
export async function mapIdle(page, timeout = 20_000) {
  await page.waitForFunction(() => {
    const m = window.riskmap.map;
    return !m.isMoving() && ['areas', 'risk_sources', 'cameras'].every((s) => m.isSourceLoaded(s));
  }, null, { timeout, polling: 100 });
  // one more frame so queryRenderedFeatures sees the last placement
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/**
 * Waits until staff member `id` has a stored track of two fixes or more: just
 * after the server starts, a walker may have sent only one yet, and a replay
 * of one fix plays nothing.
 */
export async function trackOfSeveral(id) {
  const tok = await token('dispatcher');
  const path = `/api/staff/${encodeURIComponent(id)}/track?limit=2`;
  await eventually(async () => (await api(tok, 'GET', path)).fixes.length >= 2, { timeoutMs: 30_000, intervalMs: 500, message: `a second fix of ${id}` });
}

/** The staff member's marker as the map renders it (null if not drawn). */
export function renderedStaff(page, id) {
  return page.evaluate((id) => {
    const f = window.riskmap.map.queryRenderedFeatures({ layers: ['staff-point'], filter: ['==', ['get', 'id'], id] })[0];
    return f ? { lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1], duty: f.properties.duty, offline: f.properties.offline } : null;
  }, id);
}

export function renderedCount(page, layer, key = 'id') {
  return page.evaluate(
    ({ layer, key }) => new Set(window.riskmap.map.queryRenderedFeatures({ layers: [layer] }).map((f) => f.properties[key])).size,
    { layer, key },
  );
}

export const num = async (page, testid) => Number(await page.textContent(`[data-testid="${testid}"]`));

/**
 * The city's staff-online figure once the demo's staff are online: the staff
 * arrive over /ws after the page is ready (the panel reads 0 until then), and
 * the demo city's imported fixes are old, so the simulator brings the staff on
 * duty online slice by slice within its interval (10 s) of the server's start.
 */
export async function cityOnline(page) {
  return eventually(async () => {
    const n = await num(page, 'staff-online');
    return n > 1000 ? n : null;
  }, { timeoutMs: 20_000, message: 'more than 1,000 staff online in the staff panel' });
}

/** The states in which a task is its assignee's (they are busy with it). */
const HELD = ['dispatched', 'signed', 'in_progress'];

/**
 * Finishes, as the worker would (签收 if not yet, then 办结), every task the
 * field worker still holds. A test that fails half-way leaves them busy with
 * one, and the next test — or its own second try — would not find them
 * among the dispatch panel's candidates: one failure would become several.
 */
async function handBack(disp, fieldTok, staffId) {
  const { incidents } = await api(disp, 'GET', `/api/incidents?assignee=${encodeURIComponent(staffId)}&limit=1000`);
  for (const inc of incidents.filter((i) => HELD.includes(i.state))) {
    const path = `/api/incidents/${encodeURIComponent(inc.id)}/actions`;
    if (inc.state === 'dispatched') await api(fieldTok, 'POST', path, { action: 'sign' });
    await api(fieldTok, 'POST', path, { action: 'handle', comment: '测试前交还（e2e）' });
  }
}

/**
 * The field login's staff member, the grid it works in, and a point inside
 * that grid; any task they still hold is finished first (see handBack).
 */
export async function fieldWorker() {
  const disp = await token('dispatcher');
  const fieldTok = await token('field');
  const me = await api(fieldTok, 'GET', '/api/me');
  await handBack(disp, fieldTok, me.user.staff_id);
  const grid = await api(fieldTok, 'GET', `/ogc/collections/areas/items/${me.user.area}`);
  const staff = await api(disp, 'GET', `/api/staff/${me.user.staff_id}`);
  return { disp, fieldTok, staffId: me.user.staff_id, staff, here: inside(grid.geometry) };
}

/** The page pixel of a feature (by its `id` property) of a rendered map layer, or null if not drawn. */
export function featurePixel(page, layer, id) {
  return page.evaluate(({ layer, id }) => {
    const m = window.riskmap.map;
    const f = m.queryRenderedFeatures({ layers: [layer], filter: ['==', ['get', 'id'], id] })[0];
    if (!f) return null;
    const p = m.project(f.geometry.coordinates);
    const r = m.getCanvas().getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  }, { layer, id });
}

/** The page pixel of a place on the map. */
export const pixelOf = (page, p) =>
  page.evaluate((p) => {
    const m = window.riskmap.map;
    const q = m.project([p.longitude, p.latitude]);
    const r = m.getCanvas().getBoundingClientRect();
    return { x: r.left + q.x, y: r.top + q.y };
  }, p);
