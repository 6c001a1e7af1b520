import { afterEach, describe, expect, it } from 'vitest';
import { missingTranslations, setLang, t } from '../shared/i18n';
import { cameraPopupHtml, popupCamera } from './cameraPopup';
import { diagnose, hlsFailure, nativeFailure, playable, StallWatch, wallGrid } from './video';
import { changedOnWall, needsRestart } from './videoWall';

afterEach(() => setLang('zh'));

describe('which streams are played', () => {
  it('plays http and https URLs only', () => {
    expect(playable({ stream_url: 'http://10.0.0.5:8080/live/C1/index.m3u8' })).toEqual({ ok: true, url: 'http://10.0.0.5:8080/live/C1/index.m3u8' });
    expect(playable({ stream_url: ' https://gw.example/hls/C1.m3u8 ', online: true })).toMatchObject({ ok: true, url: 'https://gw.example/hls/C1.m3u8' });
  });
  it('says an RTSP (or RTMP) camera needs a media gateway', () => {
    expect(playable({ stream_url: 'rtsp://video.invalid/C000001' })).toEqual({ ok: false, reason: 'video.gateway' });
    expect(playable({ stream_url: 'rtmp://x/live' })).toEqual({ ok: false, reason: 'video.gateway' });
    expect(t('video.gateway')).toContain('HLS');
  });
  it('refuses other schemes and broken URLs', () => {
    expect(playable({ stream_url: 'javascript:alert(1)' })).toEqual({ ok: false, reason: 'video.invalid' });
    expect(playable({ stream_url: 'file:///etc/passwd' })).toEqual({ ok: false, reason: 'video.invalid' });
    expect(playable({ stream_url: 'not a url' })).toEqual({ ok: false, reason: 'video.invalid' });
  });
  it('does not play an offline camera, nor one without a stream', () => {
    expect(playable({ stream_url: 'http://gw/x.m3u8', online: false })).toEqual({ ok: false, reason: 'video.offline' });
    expect(playable({ stream_url: null })).toEqual({ ok: false, reason: 'video.no_stream' });
    expect(playable({})).toEqual({ ok: false, reason: 'video.no_stream' });
  });
});

describe('the wall layout', () => {
  it('is 1, 2×2 or 3×3, never more than nine', () => {
    expect(wallGrid(0)).toEqual({ cols: 1, rows: 1 });
    expect(wallGrid(1)).toEqual({ cols: 1, rows: 1 });
    expect(wallGrid(2)).toEqual({ cols: 2, rows: 1 });
    expect(wallGrid(4)).toEqual({ cols: 2, rows: 2 });
    expect(wallGrid(5)).toEqual({ cols: 3, rows: 2 });
    expect(wallGrid(9)).toEqual({ cols: 3, rows: 3 });
    expect(wallGrid(14)).toEqual({ cols: 3, rows: 3 });
  });
});

describe('stream failures in words', () => {
  it('tells not found, refused, network and not-HLS apart', () => {
    expect(hlsFailure({ type: 'networkError', details: 'manifestLoadError', fatal: true, response: { code: 404 } })).toEqual({ key: 'video.err.not_found', detail: 'HTTP 404' });
    expect(hlsFailure({ type: 'networkError', details: 'manifestLoadError', fatal: true, response: { code: 403 } })?.key).toBe('video.err.forbidden');
    expect(hlsFailure({ type: 'networkError', details: 'manifestLoadError', fatal: true, response: { code: 502 } })).toEqual({ key: 'video.err.http', detail: 'HTTP 502' });
    // CORS refusals and unreachable hosts arrive as status 0.
    expect(hlsFailure({ type: 'networkError', details: 'manifestLoadError', fatal: true, response: { code: 0 } })?.key).toBe('video.err.network');
    expect(hlsFailure({ type: 'networkError', details: 'manifestParsingError', fatal: true })?.key).toBe('video.err.not_hls');
    expect(hlsFailure({ type: 'mediaError', details: 'bufferAppendError', fatal: true })?.key).toBe('video.err.media');
  });
  it('ignores what hls.js recovers from by itself', () => {
    expect(hlsFailure({ type: 'networkError', details: 'fragLoadError', fatal: false, response: { code: 404 } })).toBeNull();
  });
  it('reads native MediaError codes', () => {
    expect(nativeFailure(2).key).toBe('video.err.network');
    expect(nativeFailure(3).key).toBe('video.err.media');
    expect(nativeFailure(4).key).toBe('video.err.unsupported');
  });
  it('has every label in English too', () => {
    expect(missingTranslations()).toEqual([]);
    setLang('en');
    expect(t('video.err.not_found')).toBe('stream not found (404)');
  });
});

describe("a camera's popup", () => {
  const cam = { id: 'C9', name: '学院路口', owner: '公安', online: true };
  it('offers 实时视频 for an HLS stream', () => {
    const html = cameraPopupHtml({ ...cam, stream_url: 'http://gw/C9.m3u8' }, 'zh');
    expect(html).toContain('data-live-video');
    expect(html).toContain('实时视频');
    expect(html).not.toContain('disabled');
  });
  it('disables it for an RTSP stream, saying a gateway is needed', () => {
    const html = cameraPopupHtml({ ...cam, stream_url: 'rtsp://video.invalid/C9' }, 'en');
    expect(html).toMatch(/data-live-video[^>]*disabled/);
    expect(html).toContain('Needs a media gateway (HLS)');
  });
  it('shows an offline camera as offline, the button disabled with the reason', () => {
    setLang('zh');
    const html = cameraPopupHtml({ ...cam, online: false, stream_url: 'http://gw/C9.m3u8' }, 'zh');
    expect(html).toContain('data-testid="camera-offline"');
    expect(html).toMatch(/data-live-video[^>]*disabled/);
    expect(html).toContain('摄像头离线');
  });
  it('has no button without a stream, and escapes names', () => {
    const html = cameraPopupHtml({ ...cam, name: '<b>x</b>', stream_url: null });
    expect(html).not.toContain('data-live-video');
    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
  it('reads the map feature properties', () => {
    expect(popupCamera({ id: 'C1', name: 'n', owner: 'o', online: false, stream_url: '' })).toEqual({ id: 'C1', name: 'n', owner: 'o', online: false, stream_url: null });
    expect(popupCamera({ id: 'C1', name: 'n', online: true, stream_url: 'http://a/b.m3u8' }).stream_url).toBe('http://a/b.m3u8');
  });
});

describe('why a native stream failed', () => {
  const native = { key: 'video.err.unsupported', detail: 'MEDIA_ERR_SRC_NOT_SUPPORTED' };
  const answer = (status: number, body = '', type = 'text/plain') => (async () => new Response(body, { status, headers: { 'content-type': type } })) as unknown as typeof fetch;
  it('asks the server: missing, refused, unreachable, not HLS', async () => {
    expect(await diagnose('http://gw/x.m3u8', native, answer(404))).toEqual({ key: 'video.err.not_found', detail: 'HTTP 404' });
    expect((await diagnose('http://gw/x.m3u8', native, answer(403))).key).toBe('video.err.forbidden');
    const refused = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    expect(await diagnose('http://gw/x.m3u8', native, refused)).toEqual({ key: 'video.err.network', detail: 'Failed to fetch' });
    expect((await diagnose('http://gw/x.m3u8', native, answer(200, '<html>login</html>', 'text/html'))).key).toBe('video.err.not_hls');
  });
  it('keeps the browser\'s reason when the playlist is fine', async () => {
    expect(await diagnose('http://gw/x.m3u8', native, answer(200, '#EXTM3U\n#EXT-X-VERSION:3\n'))).toBe(native);
  });
  it('tells a playlist whose segments are gone: its newest entry, resolved against it', async () => {
    const playlist = '#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:1,\nseg0.ts\n#EXTINF:1,\nseg1.ts\n';
    const asked: string[] = [];
    const gateway = (segment: number) => (async (u: string) => {
      asked.push(u);
      return u.endsWith('.m3u8') ? new Response(playlist, { status: 200 }) : new Response('', { status: segment });
    }) as unknown as typeof fetch;
    expect(await diagnose('http://gw/live/C1/index.m3u8', native, gateway(404))).toEqual({ key: 'video.err.not_found', detail: 'HTTP 404' });
    expect(asked).toEqual(['http://gw/live/C1/index.m3u8', 'http://gw/live/C1/seg1.ts']);
    // The segment is there too: the browser's reason stands.
    expect(await diagnose('http://gw/live/C1/index.m3u8', native, gateway(200))).toBe(native);
  });
});

describe('a stalled stream', () => {
  it('counts how long the clock has stood still while running', () => {
    const w = new StallWatch();
    expect(w.frozenFor(0, 0, true)).toBe(0);
    expect(w.frozenFor(9_999, 0, true)).toBe(9_999);
    expect(w.frozenFor(20_000, 0, true)).toBe(20_000);
  });
  it('is not frozen while the picture moves, nor while paused or ended', () => {
    const w = new StallWatch();
    for (let s = 0; s <= 60; s++) expect(w.frozenFor(s * 1000, s * 0.9, true)).toBe(0);
    // Paused (or a recording at its end) for a minute: not a stall; the count starts from the last look while stopped.
    for (let s = 61; s <= 120; s++) expect(w.frozenFor(s * 1000, 54, false)).toBe(0);
    expect(w.frozenFor(121_000, 54, true)).toBe(1_000);
    expect(w.frozenFor(140_000, 54, true)).toBe(20_000);
  });
});

describe('a wall tile and camera health', () => {
  const cam = { id: 'C1', name: '路口', stream_url: 'http://gw/C1.m3u8', online: true };
  it('starts again when the camera goes offline, comes back, or its stream moves', () => {
    expect(needsRestart(cam, { ...cam, online: false })).toBe(true);
    expect(needsRestart({ ...cam, online: false }, cam)).toBe(true);
    expect(needsRestart(cam, { ...cam, stream_url: 'http://gw2/C1.m3u8' })).toBe(true);
  });
  it("restarts after a snapshot only the tiles whose camera's state it changed", () => {
    const wall = [cam, { ...cam, id: 'C2' }, { ...cam, id: 'C3', online: false }, { ...cam, id: 'C4' }];
    const known = new Map<string, boolean>([['C1', false], ['C3', true], ['C4', true]]);
    // C2: the map knows nothing of it (not loaded, never told): left playing.
    expect(changedOnWall(wall, (id) => known.get(id))).toEqual([
      { ...cam, online: false },
      { ...cam, id: 'C3', online: true },
    ]);
  });
  it('keeps playing for anything else', () => {
    expect(needsRestart(cam, { ...cam, name: '路口（新）' })).toBe(false);
    // No online field means online, as everywhere else.
    expect(needsRestart(cam, { id: 'C1', name: '路口', stream_url: 'http://gw/C1.m3u8' })).toBe(false);
  });
});
