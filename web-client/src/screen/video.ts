// 实时视频 — one camera's live stream in a <video>. Browsers play HLS (.m3u8)
// over http(s), nothing else: Safari and some others natively, the rest through
// hls.js (bundled, loaded on first use). An RTSP or GB/T 28181 camera needs a
// media gateway that republishes it as HLS (docs/protocol.md, "Live video").
// Failures are said in words (network, not found, not HLS, cannot decode),
// and a closed player lets go of everything it held.

import type Hls from 'hls.js';
import { addTranslations, lang, t } from '../shared/i18n';

addTranslations({
  zh: {
    'video.live': '实时视频',
    'video.wall': '视频墙',
    'video.close_all': '全部关闭',
    'video.loading': '连接中…',
    'video.failed': '视频播放失败',
    'video.offline': '摄像头离线，无法播放',
    'video.no_stream': '未配置视频流',
    'video.gateway': '需媒体网关转为 HLS 流后播放',
    'video.invalid': '视频流地址无效',
    'video.err.network': '网络错误（无法连接或跨域被拒）',
    'video.err.not_found': '视频流不存在（404）',
    'video.err.forbidden': '无权访问视频流',
    'video.err.http': '视频服务器出错',
    'video.err.not_hls': '不是有效的 HLS 播放列表',
    'video.err.media': '视频无法解码',
    'video.err.unsupported': '浏览器不支持该视频格式',
    'video.err.no_hls': '浏览器不支持 HLS 播放',
    'video.err.other': '未知错误',
    'video.err.stalled': '画面中断（长时间无新画面）',
  },
  en: {
    'video.live': 'Live video',
    'video.wall': 'Video wall',
    'video.close_all': 'Close all',
    'video.loading': 'Connecting…',
    'video.failed': 'Stream failed',
    'video.offline': 'Camera offline: no video',
    'video.no_stream': 'No stream configured',
    'video.gateway': 'Needs a media gateway (HLS) to play',
    'video.invalid': 'Invalid stream URL',
    'video.err.network': 'network error (unreachable or blocked by CORS)',
    'video.err.not_found': 'stream not found (404)',
    'video.err.forbidden': 'access to the stream refused',
    'video.err.http': 'the video server failed',
    'video.err.not_hls': 'not an HLS playlist',
    'video.err.media': 'the video cannot be decoded',
    'video.err.unsupported': 'the browser cannot play this format',
    'video.err.no_hls': 'this browser cannot play HLS',
    'video.err.other': 'unknown error',
    'video.err.stalled': 'stream stalled (no new picture)',
  },
});

/** Whether a camera's stream can be played here, and if not, the label key saying why. */
export type Playable = { ok: true; url: string } | { ok: false; reason: 'video.offline' | 'video.no_stream' | 'video.gateway' | 'video.invalid' };

/** Only http(s) URLs are played; rtsp:// and the like need a media gateway first. */
export function playable(cam: { stream_url?: string | null; online?: boolean }): Playable {
  const raw = (cam.stream_url ?? '').trim();
  if (!raw) return { ok: false, reason: 'video.no_stream' };
  if (cam.online === false) return { ok: false, reason: 'video.offline' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'video.invalid' };
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return { ok: true, url: url.href };
  if (/^(rtsp|rtsps|rtmp|rtmps|rtp|srt|udp|gb28181):$/.test(url.protocol)) return { ok: false, reason: 'video.gateway' };
  return { ok: false, reason: 'video.invalid' };
}

/** The wall's grid: 1, 2×2 or 3×3 (never more than nine tiles). */
export function wallGrid(n: number): { cols: number; rows: number } {
  const tiles = Math.max(0, Math.min(9, Math.floor(n)));
  const cols = tiles <= 1 ? 1 : tiles <= 4 ? 2 : 3;
  return { cols, rows: Math.max(1, Math.ceil(tiles / cols)) };
}

export interface StreamFailure {
  /** A label key (video.err.*). */
  key: string;
  /** What the player said, for the curious (HTTP status, hls.js detail). */
  detail: string;
}

/** What an hls.js error event says (its ErrorData, as far as it matters here). */
export interface HlsError {
  type: string;
  details: string;
  fatal: boolean;
  response?: { code?: number };
}

/** An hls.js error as words; null when hls.js recovers by itself. */
export function hlsFailure(e: HlsError): StreamFailure | null {
  if (!e.fatal) return null;
  const code = e.response?.code;
  if (e.type === 'networkError') {
    if (e.details === 'manifestParsingError') return { key: 'video.err.not_hls', detail: e.details };
    return (code && httpFailure(code)) || { key: 'video.err.network', detail: e.details };
  }
  if (e.details === 'manifestParsingError' || e.details === 'manifestIncompatibleCodecsError') return { key: 'video.err.not_hls', detail: e.details };
  if (e.type === 'mediaError') return { key: 'video.err.media', detail: e.details };
  return { key: 'video.err.other', detail: `${e.type}: ${e.details}` };
}

/** An HTTP status that failed a stream, as words; null for a success. */
export function httpFailure(code: number): StreamFailure | null {
  if (code === 404 || code === 410) return { key: 'video.err.not_found', detail: `HTTP ${code}` };
  if (code === 401 || code === 403) return { key: 'video.err.forbidden', detail: `HTTP ${code}` };
  if (code >= 400) return { key: 'video.err.http', detail: `HTTP ${code}` };
  return null;
}

/**
 * Why a natively played stream failed: the browser's MediaError does not say
 * (a 404 and a wrong format look alike), so the playlist is fetched once to
 * tell a missing stream, a refused or unreachable one and a non-HLS answer
 * apart, and then its newest segment (or variant) to tell lost segments.
 */
export async function diagnose(url: string, native: StreamFailure, get: typeof fetch = fetch): Promise<StreamFailure> {
  let res: Response;
  try {
    res = await get(url, { cache: 'no-store' });
  } catch (e) {
    return { key: 'video.err.network', detail: e instanceof Error ? e.message : String(e) };
  }
  const http = httpFailure(res.status);
  if (http) return http;
  const text = await res.text().catch(() => '');
  if (!text.trimStart().startsWith('#EXTM3U')) return { key: 'video.err.not_hls', detail: res.headers.get('content-type') ?? '' };
  // The playlist is there: a gateway that lost its segments is the next
  // likely cause. Its newest entry (a live playlist drops the oldest first).
  const entry = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')).pop();
  if (!entry) return native;
  try {
    return httpFailure((await get(new URL(entry, url).href, { cache: 'no-store' })).status) ?? native;
  } catch (e) {
    return { key: 'video.err.network', detail: e instanceof Error ? e.message : String(e) };
  }
}

/** A native <video> error (MediaError.code) as words. */
export function nativeFailure(code: number | undefined): StreamFailure {
  if (code === 2) return { key: 'video.err.network', detail: 'MEDIA_ERR_NETWORK' };
  if (code === 3) return { key: 'video.err.media', detail: 'MEDIA_ERR_DECODE' };
  if (code === 4) return { key: 'video.err.unsupported', detail: 'MEDIA_ERR_SRC_NOT_SUPPORTED' };
  return { key: 'video.err.other', detail: `MediaError ${code ?? '?'}` };
}

export type PlayerState = 'loading' | 'playing' | 'error';

/** A stream whose picture has not moved for this long has stalled (a gateway that stopped sending). */
export const STALL_MS = 20_000;
/** A stream with no first picture after this long has stalled too (a playlist whose segments never come). */
export const START_MS = 10_000;

/**
 * Watches a player's clock: how long it has not moved while the player is
 * meant to run (not paused, not at the end of a recording). Neither hls.js
 * nor a native player always says a stream died: a live playlist that stops
 * growing, segments that are gone, or a gateway that keeps the socket open
 * leave a frozen tile.
 */
export class StallWatch {
  private last = Number.NaN;
  private since = 0;

  /** One look at the player: for how many ms its clock has stood still while running. */
  frozenFor(now: number, currentTime: number, running: boolean): number {
    if (!running || currentTime !== this.last) {
      this.last = currentTime;
      this.since = now;
      return 0;
    }
    return now - this.since;
  }
}

/** One live stream played into a <video>: native HLS where the browser has it, hls.js elsewhere. */
export class VideoPlayer {
  /** Players not yet destroyed, over the whole page: the tests check none are leaked. */
  static live = 0;
  state: PlayerState = 'loading';
  failure: StreamFailure | null = null;
  /** How the stream is played, once known. */
  engine: 'native' | 'hls.js' | null = null;
  private hls: Hls | null = null;
  private destroyed = false;
  private mediaRecoveries = 0;
  private readonly stall = new StallWatch();
  private readonly watch = setInterval(() => this.look(), 1000);
  private readonly onPlaying = () => this.set('playing');
  private readonly onNativeError = () => {
    const first = nativeFailure(this.video.error?.code);
    void diagnose(this.url, first).then((f) => this.fail(f));
  };

  constructor(
    readonly video: HTMLVideoElement,
    readonly url: string,
    private readonly changed: (p: VideoPlayer) => void,
  ) {
    VideoPlayer.live++;
    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.addEventListener('playing', this.onPlaying);
    void this.start();
  }

  private async start(): Promise<void> {
    const video = this.video;
    if (video.canPlayType('application/vnd.apple.mpegurl')) {
      this.engine = 'native';
      video.addEventListener('error', this.onNativeError);
      video.src = this.url;
      this.play();
      return;
    }
    const { default: HlsJs } = await import('hls.js');
    if (this.destroyed) return;
    if (!HlsJs.isSupported()) return this.fail({ key: 'video.err.no_hls', detail: 'no MediaSource' });
    this.engine = 'hls.js';
    const hls = new HlsJs({ lowLatencyMode: true, backBufferLength: 30 });
    this.hls = hls;
    hls.on(HlsJs.Events.ERROR, (_ev, data) => {
      if (data.fatal && data.type === HlsJs.ErrorTypes.MEDIA_ERROR && this.mediaRecoveries++ < 1) return hls.recoverMediaError();
      const f = hlsFailure(data);
      if (f) this.fail(f);
    });
    hls.on(HlsJs.Events.MANIFEST_PARSED, () => this.play());
    hls.loadSource(this.url);
    hls.attachMedia(video);
  }

  private look(): void {
    const v = this.video;
    const limit = this.state === 'loading' ? START_MS : STALL_MS;
    if (this.state === 'error' || this.stall.frozenFor(Date.now(), v.currentTime, !v.paused && !v.ended) < limit) return;
    clearInterval(this.watch);
    void diagnose(this.url, { key: 'video.err.stalled', detail: `${limit / 1000} s` }).then((f) => this.fail(f));
  }

  private play(): void {
    // Muted, so autoplay is allowed; a refusal still leaves the controls.
    this.video.play().catch(() => undefined);
  }

  private set(state: PlayerState): void {
    if (this.destroyed || (this.state === state && state !== 'error')) return;
    this.state = state;
    if (state !== 'error') this.failure = null;
    this.changed(this);
  }

  private fail(f: StreamFailure): void {
    if (this.destroyed) return;
    this.failure = f;
    this.hls?.destroy();
    this.hls = null;
    this.set('error');
  }

  /** Stops the stream and lets go of the decoder, the network and the listeners. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    VideoPlayer.live--;
    clearInterval(this.watch);
    this.hls?.destroy();
    this.hls = null;
    const v = this.video;
    v.removeEventListener('playing', this.onPlaying);
    v.removeEventListener('error', this.onNativeError);
    v.pause();
    v.removeAttribute('src');
    v.load();
  }

  /** The tile's status line: empty while playing. */
  status(): string {
    if (this.state === 'loading') return t('video.loading');
    if (this.state === 'error' && this.failure) return `${t('video.failed')}${lang() === 'zh' ? '：' : ': '}${t(this.failure.key)}`;
    return '';
  }
}
