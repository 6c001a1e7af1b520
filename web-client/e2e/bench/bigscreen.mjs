// The big screen under a large city (scripts/bigscreen-bench.sh starts the
// server, the city and the moving load): in Debian's headless Chromium at
// 1920×1080, the same way the browser tests run it, it
//   1. logs in as the city-wide administrator and times, from the click on
//      登录 and again from a navigation (a reload with the session kept), until
//      the staff panel's 在线 figure shows the whole city (STAFF), and until
//      the map is drawn (its tiles loaded, the cameras on it) — the full
//      picture is the later of the two;
//   2. at each of VIEWS, times the map's drawing after the jump there, then
//      counts frames (requestAnimationFrame inside the page) for FPS_S
//      seconds while the load's moves arrive.
// Prints one JSON report on stdout (progress on stderr).
//
//   RISKMAP_URL=http://127.0.0.1:PORT STAFF=100000 node e2e/bench/bigscreen.mjs
//
// Env: RISKMAP_URL, STAFF (the figure to wait for), RISKMAP_ADMIN_PASSWORD,
// FPS_S (10), SETTLE_S (3: after a jump, before counting), TIMEOUT_S (180),
// VIEWS ("city district street": see views.mjs), SHOTS (a directory: a
// screenshot per view), SEARCH (the page's query string, e.g. `?staff=members`),
// CHROMIUM.

import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS } from '../harness.mjs';
import { VIEW_AT } from './views.mjs';

const BASE = process.env.RISKMAP_URL ?? 'http://127.0.0.1:8080';
/** The page's query string: `?staff=members` (or `cells`), `?tiles=0`, … to compare the paths; '' lets the city decide. */
const SEARCH = process.env.SEARCH ?? '';
const STAFF = Number(process.env.STAFF ?? 0);
const PASSWORD = process.env.RISKMAP_ADMIN_PASSWORD ?? '';
const FPS_S = Number(process.env.FPS_S ?? 10);
const SETTLE_S = Number(process.env.SETTLE_S ?? 3);
const TIMEOUT_MS = Number(process.env.TIMEOUT_S ?? 180) * 1000;
const VIEWS = (process.env.VIEWS ?? 'city district street').split(/\s+/).filter(Boolean);
const SHOTS = process.env.SHOTS ?? '';
/** A file: the reload's main-thread CPU profile (.cpuprofile, for DevTools), and the top functions in the report. */
const PROFILE = process.env.PROFILE ?? '';
/** Views whose frame count is profiled too (the top functions in that view's report; the profiler costs frames). */
const PROFILE_VIEWS = (process.env.PROFILE_VIEWS ?? '').split(/\s+/).filter(Boolean);


const say = (s) => process.stderr.write(`bigscreen-bench: ${s}\n`);
if (!STAFF || !PASSWORD) throw new Error('STAFF and RISKMAP_ADMIN_PASSWORD are needed');

/**
 * Runs in the page before its own scripts: notes when the 在线 figure first
 * reads STAFF (a MutationObserver, nothing polled), when 登录 was clicked,
 * and when each snapshot arrived and how big it was (a listener added to
 * every WebSocket, or to the worker that reads the big screen's, before the
 * page's own handler, so it sees the message before it is parsed).
 */
function instrument(expect) {
  const b = (window.__bench = { expect, figuresAt: null, firstFigureAt: null, loginAt: null, snapshots: [] });
  const check = () => {
    const el = document.querySelector('[data-testid="staff-online"]');
    if (!el) return;
    const n = Number(el.textContent);
    if (n > 0 && b.firstFigureAt === null) b.firstFigureAt = performance.now();
    if (n >= b.expect && b.figuresAt === null) b.figuresAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  document.addEventListener('click', (ev) => {
    if (ev.target instanceof Element && ev.target.closest('form.login button[type=submit]')) b.loginAt = performance.now();
  }, true);
  const snapshot = (d) => {
    // (the server's JSON has its keys sorted: `type` comes last)
    if (typeof d === 'string' && (d.endsWith('"type":"snapshot"}') || d.startsWith('{"type":"snapshot"'))) {
      b.snapshots.push({ at: performance.now(), subscribedAt: b.subscribedAt, chars: d.length });
    }
  };
  const subscribing = (d) => {
    if (typeof d === 'string' && d.startsWith('{"type":"subscribe"')) b.subscribedAt = performance.now();
  };
  // The big screen reads its socket on a worker (workerSocket.ts): the messages pass through here.
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(url, options) {
      super(url, options);
      if (String(url).includes('socketWorker')) this.addEventListener('message', (ev) => snapshot(ev.data?.data));
    }
    postMessage(m, ...rest) {
      subscribing(m?.send);
      super.postMessage(m, ...rest);
    }
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => snapshot(ev.data));
    }
    send(data) {
      subscribing(data);
      super.send(data);
    }
  };
}

/** Frames the page draws in `seconds`, and the worst gaps between them. */
function countFrames(seconds) {
  return new Promise((resolve) => {
    const gaps = [];
    let last = performance.now();
    const start = last;
    const frame = (now) => {
      gaps.push(now - last);
      last = now;
      if (now - start < seconds * 1000) requestAnimationFrame(frame);
      else {
        gaps.sort((a, b) => a - b);
        const at = (q) => Math.round(gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))]);
        resolve({
          fps: Math.round((gaps.length / ((now - start) / 1000)) * 10) / 10,
          frames: gaps.length,
          p50_frame_ms: at(0.5),
          p95_frame_ms: at(0.95),
          max_frame_ms: Math.round(gaps[gaps.length - 1]),
        });
      }
    };
    requestAnimationFrame(frame);
  });
}

/** The functions that took the most time themselves in a CPU profile (ms, by name and place). */
function topSelf(profile, n) {
  const byNode = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = byNode.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k, Math.round(v)]);
}

/** The static layers' sources (GeoJSON or vector tiles) and a layer every view draws. */
const STATIC_SOURCES = ['areas', 'cameras', 'risk_sources', 'key_places'];
const ALWAYS_DRAWN = 'area-district-line';

/**
 * Waits (polling every 50 ms) until the map is drawn: every static source's
 * tiles for the view loaded, the district lines on screen (the cameras start
 * at zoom 10, below which a city view draws none; the staff's own source is
 * rewritten with the moves, so it is never settled for long). Returns
 * performance.now() in the page at that moment, or null.
 */
const waitMapDrawn = (page) =>
  page
    .waitForFunction(
      ({ sources, layer }) => {
        const m = window.riskmap?.map;
        const drawn =
          !!m &&
          m.loaded() &&
          sources.every((id) => !m.getSource(id) || m.isSourceLoaded(id)) &&
          m.queryRenderedFeatures({ layers: [layer] }).length > 0;
        if (drawn) window.__bench.mapAt ??= performance.now();
        return drawn;
      },
      { sources: STATIC_SOURCES, layer: ALWAYS_DRAWN },
      { timeout: TIMEOUT_MS, polling: 50 },
    )
    .then(
      () => page.evaluate(() => window.__bench.mapAt),
      (e) => {
        say(`the map was not drawn within ${TIMEOUT_MS / 1000} s (${e.message.split('\n')[0]})`);
        return null;
      },
    );

/** Waits for 在线 = STAFF; false if it did not come within TIMEOUT_S (the report then says null). */
const waitFigures = (page) =>
  page.waitForFunction(() => window.__bench.figuresAt !== null, null, { timeout: TIMEOUT_MS, polling: 100 }).then(
    () => true,
    (e) => {
      say(`no 在线 = ${STAFF} within ${TIMEOUT_MS / 1000} s (${e.message.split('\n')[0]})`);
      return false;
    },
  );

const ms = (x) => (x === null || x === undefined ? null : Math.round(x));
/** a − b in whole ms, null when either is missing. */
const since = (a, b) => (a === null || a === undefined || b === null || b === undefined ? null : Math.round(a - b));

async function main() {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  // The machine's load: the server, the moving load and Chromium share it, and so may anything else running.
  const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const report = { staff: STAFF, url: BASE + '/' + SEARCH, viewport: '1920x1080', loadavg_before: loadavg() };
  try {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 1, locale: 'zh-CN' });
    await context.addInitScript(instrument, STAFF);
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));

    // 1a. From the click on 登录.
    say(`logging in at ${BASE}, waiting for 在线 = ${STAFF}`);
    await page.goto(`${BASE}/${SEARCH}`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form.login button[type=submit]');
    const [, loginMapAt] = await Promise.all([waitFigures(page), waitMapDrawn(page)]);
    const login = await page.evaluate(() => window.__bench);
    report.login_to_full_staff_ms = since(login.figuresAt, login.loginAt);
    report.login_to_map_drawn_ms = since(loginMapAt, login.loginAt);
    report.login_to_first_staff_ms = since(login.firstFigureAt, login.loginAt);
    report.login_snapshots = login.snapshots.map((s) => ({ after_login_ms: since(s.at, login.loginAt), after_subscribe_ms: since(s.at, s.subscribedAt), chars: s.chars }));
    say(`login → 在线 ${STAFF}: ${report.login_to_full_staff_ms} ms`);

    // 1b. From a navigation: the session is remembered, so a reload opens the screen at once.
    const cdp = PROFILE ? await context.newCDPSession(page) : null;
    if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
      await cdp.send('Profiler.start');
    }
    await page.reload();
    const [, navMapAt] = await Promise.all([waitFigures(page), waitMapDrawn(page)]);
    if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      writeFileSync(PROFILE, JSON.stringify(profile));
      report.profile_top_self_ms = topSelf(profile, 20);
    }
    const nav = await page.evaluate(() => ({
      ...window.__bench,
      timing: performance.getEntriesByType('navigation')[0]?.toJSON() ?? null,
      heapMiB: performance.memory ? Math.round(performance.memory.usedJSHeapSize / 2 ** 20) : null,
    }));
    report.navigation_to_full_staff_ms = ms(nav.figuresAt);
    report.navigation_to_map_drawn_ms = ms(navMapAt);
    report.navigation_to_full_picture_ms = nav.figuresAt === null || navMapAt === null ? null : ms(Math.max(nav.figuresAt, navMapAt));
    report.navigation_to_first_staff_ms = ms(nav.firstFigureAt);
    report.navigation_dom_content_loaded_ms = ms(nav.timing?.domContentLoadedEventEnd);
    report.navigation_snapshots = nav.snapshots.map((s) => ({ at_ms: ms(s.at), after_subscribe_ms: since(s.at, s.subscribedAt), chars: s.chars }));
    report.js_heap_mib = nav.heapMiB;
    say(`navigation → 在线 ${STAFF}: ${report.navigation_to_full_staff_ms} ms`);

    // 2. Frames a second at each view while moves arrive.
    await page.waitForFunction(() => window.riskmap?.ready, null, { timeout: TIMEOUT_MS }).catch(() => say('the screen never became ready'));
    report.fps = {};
    const opening = await page.evaluate(() => ({ center: window.riskmap.map.getCenter().toArray(), zoom: window.riskmap.map.getZoom() }));
    for (const view of VIEWS) {
      const at = VIEW_AT[view];
      if (at === undefined) throw new Error(`unknown view ${view}; views are ${Object.keys(VIEW_AT).join(', ')}`);
      const jumped = await page.evaluate((at) => {
        window.__bench.mapAt = null;
        if (at) window.riskmap.map.jumpTo(at);
        return performance.now();
      }, at);
      const drawnAt = await waitMapDrawn(page);
      await page.waitForTimeout(SETTLE_S * 1000);
      const received = await page.evaluate(() => window.riskmap.live.received);
      const viewCdp = PROFILE_VIEWS.includes(view) ? await context.newCDPSession(page) : null;
      if (viewCdp) {
        await viewCdp.send('Profiler.enable');
        await viewCdp.send('Profiler.setSamplingInterval', { interval: 500 });
        await viewCdp.send('Profiler.start');
      }
      // The map's own draws in the window (its `render` events): what its sources' writes cost it.
      await page.evaluate(() => {
        window.__bench.draws = 0;
        window.__bench.countDraw ??= () => window.__bench.draws++;
        window.riskmap.map.on('render', window.__bench.countDraw);
      });
      // (a page too busy to draw a frame would keep evaluate waiting for ever)
      const r = await Promise.race([
        page.evaluate(countFrames, FPS_S),
        new Promise((resolve) => setTimeout(() => resolve({ fps: 0, frames: 0, stalled: true }), (FPS_S + 60) * 1000)),
      ]);
      if (viewCdp) r.profile_top_self_ms = topSelf((await viewCdp.send('Profiler.stop')).profile, 25);
      r.map_draws = await page.evaluate(() => {
        window.riskmap.map.off('render', window.__bench.countDraw);
        return window.__bench.draws;
      });
      r.moves_messages = (await page.evaluate(() => window.riskmap.live.received)) - received;
      r.drawn_after_jump_ms = since(drawnAt, jumped);
      r.cameras_drawn = await page.evaluate(() => window.riskmap.map.queryRenderedFeatures({ layers: ['camera-point', 'camera-cluster'] }).length);
      r.zoom = Math.round((await page.evaluate(() => window.riskmap.map.getZoom())) * 100) / 100;
      r.staff_held = await page.evaluate(() => window.riskmap.staff.byId.size);
      // The running alerts (SOS and the rules'), and the marks of them drawn in the view: markers and
      // a crowd's counted circles (the layers a client build has: a build before them has none).
      r.alerts_held = await page.evaluate(() => window.riskmap.sos.active.length);
      r.alert_marks_drawn = await page.evaluate(() => {
        const layers = ['sos-point', 'rule-point', 'rule-cell-6', 'rule-cell-7'].filter((id) => window.riskmap.map.getLayer(id));
        return window.riskmap.map.queryRenderedFeatures({ layers }).length;
      });
      report.fps[view] = r;
      say(`${view} (zoom ${r.zoom}): ${r.fps} fps, p95 frame ${r.p95_frame_ms} ms, ${r.map_draws} map draws, ${r.moves_messages} messages in ${FPS_S} s, ${r.alerts_held} alerts (${r.alert_marks_drawn} marks)`);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/bigscreen-${STAFF}-${view}.png` });
    }
    if (SHOTS) {
      // Each view again in English, after every figure (the switch relabels every marker).
      await page.click('[data-lang]');
      for (const view of VIEWS) {
        await page.evaluate((at) => window.riskmap.map.jumpTo(at), VIEW_AT[view] ?? opening);
        await waitMapDrawn(page);
        await page.waitForTimeout(SETTLE_S * 1000);
        await page.screenshot({ path: `${SHOTS}/bigscreen-${STAFF}-${view}-en.png` });
      }
    }
    report.page_errors = errors;
    report.loadavg_after = loadavg();
    await context.close();
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

await main();
