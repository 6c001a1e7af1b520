// 实时视频 (issue 18): a real HLS stream, made here with Debian's ffmpeg and
// served on loopback with CORS, is given to a camera imported by the city
// administrator; the big screen plays it from the camera's popup and in the
// video wall of an incident the camera sees. Beside it, a camera whose
// gateway lost the segments (the playlist answers, so the server's probe
// keeps it online; the player says 404) and one whose gateway is dead: the
// server's probe (scripts/web-test.sh probes every 2 s) turns it offline on
// the screen. Their tiles say why. Closing the tiles leaves no player behind.

import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, categoryFor, featurePixel, fieldWorker, mapIdle, openScreen, SHOTS, token } from './support.mjs';

const FFMPEG = process.env.FFMPEG ?? '/usr/bin/ffmpeg';

/** A 30-second test pattern as HLS (1-second segments) in a temporary directory. */
async function makeStream() {
  const dir = mkdtempSync(join(tmpdir(), 'riskmap-hls-'));
  await promisify(execFile)(FFMPEG, [
    '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', '30',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-g', '25', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '0',
    '-hls_playlist_type', 'vod', join(dir, 'index.m3u8'),
  ]);
  return dir;
}

/**
 * The media gateway: e2e/gateway.mjs serving `dir`, in a process of its own
 * as a real gateway is (in this process, the browser's driver can keep it
 * from answering the server's probe for seconds).
 */
async function startGateway(dir) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./gateway.mjs', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('exit', (code) => reject(new Error(`the gateway exited (${code})`)));
  });
  return { child, base };
}

/** A loopback address nothing listens on: a dead gateway. */
async function deadAddress() {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  return `http://127.0.0.1:${port}`;
}

/** The map's pixel (page coordinates) of a rendered camera, or null. */
const cameraPixel = (page, id) => featurePixel(page, 'camera-point', id);

const tile = (id) => `[data-testid="video-tile"][data-camera="${id}"]`;
const videoTime = (page, id) => page.evaluate((sel) => document.querySelector(`${sel} video`)?.currentTime ?? -1, tile(id));

test('实时视频: a camera plays its HLS stream from its popup and in an incident\'s video wall; failures say why; closing leaves no player', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const made = Date.now();
  const dir = await makeStream();
  console.log(`     ffmpeg made a 30 s HLS stream in ${Date.now() - made} ms`);
  const { child: gateway, base } = await startGateway(dir);
  const dead = await deadAddress();
  const { disp, here } = await fieldWorker();
  // Three cameras west and north of an incident, all looking at it.
  // Somewhere new on every run: an earlier run's incident would be clicked instead.
  const turn = Math.random() * 2 * Math.PI;
  const lon = Number((here.longitude + 0.0008 * Math.cos(turn)).toFixed(6));
  const lat = Number((here.latitude + 0.0006 * Math.sin(turn)).toFixed(6));
  const cams = [
    { id: 'E2E-VID-LIVE', name: '视频测试·学院路口', at: [lon, lat], heading_deg: 90, stream_url: `${base}/index.m3u8`, online: true },
    { id: 'E2E-VID-404', name: '视频测试·断流', at: [lon + 0.0003, lat + 0.0003], heading_deg: 180, stream_url: `${base}/stale/index.m3u8`, online: true },
    { id: 'E2E-VID-OFF', name: '视频测试·离线', at: [lon + 0.0003, lat - 0.0003], heading_deg: 0, stream_url: `${dead}/index.m3u8`, online: true },
  ];
  const admin = await token('admin', ADMIN_PASSWORD);
  const imported = await api(admin, 'POST', '/ogc/collections/cameras/items?mode=merge', {
    type: 'FeatureCollection',
    features: cams.map((c) => ({
      type: 'Feature', id: c.id, geometry: { type: 'Point', coordinates: c.at },
      properties: { id: c.id, name: c.name, heading_deg: c.heading_deg, fov_deg: 90, range_m: 120, online: c.online, owner: '公安', stream_url: c.stream_url },
    })),
  });
  assert(imported.imported === 3, `three cameras imported: ${JSON.stringify(imported)}`);
  const incident = await api(disp, 'POST', '/api/incidents', {
    category: await categoryFor(disp, []), source: 'hotline', priority: 'urgent', lon: lon + 0.0003, lat, description: '路口聚集（视频测试）',
  });
  const seeing = await api(disp, 'GET', `/api/dispatch/cameras?lon=${incident.lon}&lat=${incident.lat}`);
  for (const c of cams) assert(seeing.cameras.some((x) => x.id === c.id && x.stream_url === c.stream_url), `${c.id} sees the incident, with its stream_url`);

  const { context, page, errors } = await openScreen(browser);
  try {
    // Camera health: the dead gateway's camera, imported online, turns offline
    // on the screen (grey, counted) once the server's probe finds it dead.
    const down = await eventually(
      () => page.evaluate(() => {
        const c = window.riskmap.cameras.points.find((p) => p.id === 'E2E-VID-OFF');
        const count = document.querySelector('[data-testid="cameras-offline"]');
        return c && !c.online ? { count: count?.textContent, offline: Number(count?.dataset.offline) } : null;
      }),
      { timeoutMs: 15_000, message: 'the dead gateway\'s camera offline on the screen' },
    );
    assert(down.offline >= 1 && down.count.includes('离线'), `counted offline in the layers panel: ${JSON.stringify(down)}`);
    const state = await api(disp, 'GET', '/ogc/collections/cameras/items/E2E-VID-OFF');
    assert(state.properties.online === false, 'the server keeps it offline');
    const up = await api(disp, 'GET', '/ogc/collections/cameras/items/E2E-VID-404');
    assert(up.properties.online === true, 'the camera whose playlist answers stays online');
    // The camera's popup: 实时视频 plays the stream.
    // The cameras right of the middle: the player opens over the map's left part.
    await page.evaluate(({ lon, lat }) => window.riskmap.map.easeTo({ center: [lon + 0.0003, lat], zoom: 18, offset: [220, 0], duration: 0 }), { lon, lat });
    await mapIdle(page);
    const at = await eventually(() => cameraPixel(page, 'E2E-VID-LIVE'), { message: 'the camera drawn' });
    await page.mouse.click(at.x, at.y);
    const button = '.cam-popup[data-camera="E2E-VID-LIVE"] [data-live-video]';
    await page.waitForSelector(button, { timeout: 5000 });
    assert(!(await page.isDisabled(button)), 'Live video enabled for an online camera with an HLS stream');
    await page.screenshot({ path: `${SHOTS}/video-popup-zh.png` });
    const clicked = Date.now();
    await page.click(button);
    await page.waitForSelector(tile('E2E-VID-LIVE'), { timeout: 5000 });
    await eventually(async () => (await videoTime(page, 'E2E-VID-LIVE')) > 0, { timeoutMs: 10_000, intervalMs: 20, message: 'the first frame' });
    const firstFrame = Date.now() - clicked;
    await eventually(async () => (await videoTime(page, 'E2E-VID-LIVE')) > 1, { timeoutMs: 10_000, intervalMs: 50, message: 'video.currentTime past 1 s' });
    const pastOne = Date.now() - clicked;
    const played = await page.evaluate((sel) => {
      const el = document.querySelector(sel);
      const v = el.querySelector('video');
      return { state: el.dataset.state, engine: el.dataset.engine, muted: v.muted, w: v.videoWidth, h: v.videoHeight, status: el.querySelector('.tile-status').hidden };
    }, tile('E2E-VID-LIVE'));
    console.log(`     popup: first frame ${firstFrame} ms after 实时视频, past 1 s after ${pastOne} ms (${played.engine}, ${played.w}×${played.h})`);
    assert(played.state === 'playing' && played.muted && played.w === 320 && played.h === 240 && played.status, `playing, muted, 320×240, no status line: ${JSON.stringify(played)}`);
    assert((await page.textContent('[data-testid="video-wall"] .wall-head h3')).startsWith('实时视频'), 'the player titled 实时视频');

    // The lost segments, from its popup too: a second tile, saying why (the
    // browser's own HLS says only "not supported"; the player asks the gateway).
    const gone = await eventually(() => cameraPixel(page, 'E2E-VID-404'), { message: 'the 404 camera drawn' });
    await page.mouse.click(gone.x, gone.y);
    await page.click('.cam-popup[data-camera="E2E-VID-404"] [data-live-video]');
    const goneText = await eventually(async () => ((await page.getAttribute(tile('E2E-VID-404'), 'data-state')) === 'error' ? page.textContent(`${tile('E2E-VID-404')} .tile-status`) : null), { message: 'the missing stream failing' });
    assert(goneText.includes('视频播放失败') && goneText.includes('404'), `the missing stream says it was not found: ${goneText}`);
    assert((await page.getAttribute('[data-testid="video-wall"]', 'data-tiles')) === '2', 'two tiles');
    await page.click('.maplibregl-popup-close-button');
    await page.screenshot({ path: `${SHOTS}/video-live-zh.png` });

    // The offline camera: shown offline, its button disabled with the reason.
    await page.click('[data-testid="video-wall"] [data-close-all]');
    assert(await page.isHidden('[data-testid="video-wall"]'), 'closed');
    assert((await page.evaluate(() => window.riskmap.video.players)) === 0, 'no player left after closing');
    const off = await eventually(() => cameraPixel(page, 'E2E-VID-OFF'), { message: 'the offline camera drawn' });
    await page.mouse.click(off.x, off.y);
    const offButton = '.cam-popup[data-camera="E2E-VID-OFF"] [data-live-video]';
    await page.waitForSelector(offButton, { timeout: 5000 });
    assert(await page.isDisabled(offButton), 'Live video disabled for an offline camera');
    assert((await page.textContent('.cam-popup[data-camera="E2E-VID-OFF"]')).includes('摄像头离线'), 'the reason said');
    assert(await page.$('.cam-popup[data-camera="E2E-VID-OFF"] [data-testid="camera-offline"]'), 'marked offline');
    await page.screenshot({ path: `${SHOTS}/video-popup-offline-zh.png` });
    await page.click('.maplibregl-popup-close-button');

    // The incident's video wall: the cameras that see it, one tile each.
    const pt = await eventually(() => featurePixel(page, 'incident-point', incident.id), { message: 'the incident drawn' });
    await page.mouse.click(pt.x, pt.y);
    await eventually(async () => (await page.textContent('[data-testid="incident-id"]').catch(() => '')) === incident.id, { message: 'the dispatch panel' });
    // This time through hls.js, as in a browser without HLS of its own.
    await page.evaluate(() => {
      const native = HTMLMediaElement.prototype.canPlayType;
      HTMLMediaElement.prototype.canPlayType = function (type) {
        return /mpegurl/i.test(type) ? '' : native.call(this, type);
      };
    });
    const wallClicked = Date.now();
    await page.click('[data-testid="dispatch-panel"] [data-video-wall]');
    const n = Number(await page.getAttribute('[data-testid="video-wall"]', 'data-tiles'));
    const streams = seeing.cameras.filter((c) => c.stream_url).length;
    assert(n === Math.min(9, streams), `a tile per camera that sees it and has a stream, at most nine: ${n} of ${streams}`);
    const cols = await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="video-wall"] .wall-grid')).gridTemplateColumns.split(' ').length);
    assert(cols === (n <= 4 ? 2 : 3), `${n} tiles in ${cols} columns`);
    await eventually(async () => (await videoTime(page, 'E2E-VID-LIVE')) > 1, { timeoutMs: 10_000, intervalMs: 50, message: 'the wall\'s tile playing past 1 s' });
    console.log(`     wall: ${n} tiles; the live tile past 1 s after ${Date.now() - wallClicked} ms`);
    assert((await page.getAttribute(tile('E2E-VID-LIVE'), 'data-engine')) === 'hls.js', 'played by hls.js');
    // hls.js does not give up on missing segments: the tile's stall watch
    // does, after 10 s without a first picture, and asks the gateway why.
    const failed = await eventually(async () => ((await page.getAttribute(tile('E2E-VID-404'), 'data-state')) === 'error' ? page.textContent(`${tile('E2E-VID-404')} .tile-status`) : null), { timeoutMs: 20_000, message: 'the missing stream failing' });
    assert(failed.includes('视频播放失败') && failed.includes('404'), `the missing stream says it was not found: ${failed}`);
    assert((await page.getAttribute(tile('E2E-VID-OFF'), 'data-state')) === 'offline', 'the offline camera\'s tile offline');
    assert(!(await page.$(`${tile('E2E-VID-OFF')} video`)), 'no player for an offline camera');
    // The demo's own cameras publish RTSP: a gateway is needed, and said.
    const rtsp = await page.$$eval('[data-testid="video-tile"][data-state="gateway"] .tile-status', (els) => els.map((e) => e.textContent));
    assert(rtsp.every((s) => s.includes('媒体网关')), `RTSP tiles ask for a media gateway: ${rtsp.join('; ')}`);
    assert(!(await page.$('[data-testid="video-tile"][data-state="no_stream"]')), 'no tile for a camera without a stream');
    const states = await page.$$eval('[data-testid="video-tile"]', (els) => els.map((e) => e.dataset.state));
    assert(states.every((s) => ['playing', 'error', 'offline', 'gateway'].includes(s)), `every tile playing or saying why: ${states}`);
    console.log(`     ${rtsp.length} demo RTSP cameras also see it`);
    assert((await page.textContent(`${tile('E2E-VID-LIVE')} figcaption .name`)) === '视频测试·学院路口', 'the tile named after its camera');
    await page.screenshot({ path: `${SHOTS}/video-wall-zh.png` });

    // In English: every label follows.
    await page.click('[data-lang]');
    assert((await page.textContent('[data-testid="video-wall"] .wall-head h3')).startsWith('Video wall'), 'the wall in English');
    assert((await page.textContent(`${tile('E2E-VID-404')} .tile-status`)).includes('Stream failed: stream not found (404)'), 'the failure in English');
    assert((await page.textContent(`${tile('E2E-VID-OFF')} .tile-status`)).includes('offline'), 'offline in English');
    await eventually(async () => (await page.textContent('[data-testid="dispatch-panel"] [data-video-wall]')).includes('Video wall'), { message: 'the incident drawer in English' });
    await page.screenshot({ path: `${SHOTS}/video-wall-en.png` });
    await page.click('[data-lang]');

    // Closing one tile keeps the others playing; closing all leaves nothing behind.
    const before = await page.evaluate(() => window.riskmap.video.players);
    await page.click(`${tile('E2E-VID-404')} [data-close-tile]`);
    assert(!(await page.$(tile('E2E-VID-404'))), 'the tile closed');
    assert((await page.evaluate(() => window.riskmap.video.players)) === before - 1, 'its player destroyed');
    const t0 = await videoTime(page, 'E2E-VID-LIVE');
    await eventually(async () => (await videoTime(page, 'E2E-VID-LIVE')) > t0 + 0.5, { timeoutMs: 5000, message: 'the live tile still playing' });

    // A full wall: nine streams in 3×3, all playing; a tenth camera takes the oldest tile's place.
    await page.evaluate((url) => window.riskmap.video.show(() => '3×3', Array.from({ length: 9 }, (_, k) => ({ id: `E2E-WALL-${k + 1}`, name: `视频测试·${k + 1}号`, stream_url: url, online: true }))), `${base}/index.m3u8`);
    const full = await page.evaluate(() => getComputedStyle(document.querySelector('[data-testid="video-wall"] .wall-grid')).gridTemplateColumns.split(' ').length);
    assert(full === 3, `nine tiles in three columns, got ${full}`);
    await eventually(async () => (await page.$$('[data-testid="video-tile"][data-state="playing"]')).length === 9, { timeoutMs: 15_000, message: 'nine tiles playing' });
    await page.screenshot({ path: `${SHOTS}/video-wall-9-zh.png` });
    await page.evaluate((url) => window.riskmap.video.add({ id: 'E2E-WALL-10', name: '视频测试·10号', stream_url: url, online: true }), `${base}/index.m3u8`);
    const ids = await page.evaluate(() => window.riskmap.video.cameras);
    assert(ids.length === 9 && ids[0] === 'E2E-WALL-2' && ids[8] === 'E2E-WALL-10', `the oldest made room: ${ids}`);
    assert((await page.evaluate(() => window.riskmap.video.players)) === 9, 'nine players, not ten');
    await page.click('[data-testid="video-wall"] [data-close-all]');
    assert(await page.isHidden('[data-testid="video-wall"]'), 'the wall closed');
    assert((await page.evaluate(() => ({ p: window.riskmap.video.players, v: document.querySelectorAll('video').length }))).p === 0, 'no player left');
    assert((await page.$$('video')).length === 0, 'no <video> left in the page');

    // The gateway dies while its camera plays: the server's probe turns the
    // camera offline and the tile stops its player and says so.
    await page.evaluate((c) => window.riskmap.video.add(c), { id: 'E2E-VID-LIVE', name: cams[0].name, stream_url: cams[0].stream_url, online: true });
    await eventually(async () => (await page.getAttribute(tile('E2E-VID-LIVE'), 'data-state')) === 'playing', { message: 'playing again' });
    const killed = Date.now();
    gateway.kill();
    await eventually(async () => (await page.getAttribute(tile('E2E-VID-LIVE'), 'data-state')) === 'offline', { timeoutMs: 20_000, message: 'the tile offline once its gateway died' });
    console.log(`     gateway killed → its tile offline after ${Date.now() - killed} ms`);
    assert((await page.evaluate(() => window.riskmap.video.players)) === 0, 'its player stopped');
    assert((await page.textContent(`${tile('E2E-VID-LIVE')} .tile-status`)).includes('离线'), 'the tile says offline');
    await page.click('[data-testid="video-wall"] [data-close-all]');
    assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  } finally {
    await context.close();
    gateway.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}, { timeoutMs: 120_000 });
