// 视频墙 — up to nine live camera streams over the map (1, 2×2 or 3×3), each
// tile named after its camera and closable on its own. Opened from a camera's
// popup (one more tile) or from an incident's details (the cameras that see it).
// A camera that cannot be played here (offline, RTSP without a gateway) gets a
// tile saying why, so the operator knows it was not forgotten.

import { esc } from '../shared/format';
import { onLangChange, t } from '../shared/i18n';
import { playable, VideoPlayer, wallGrid } from './video';
import { overlay } from './overlay';

/** What a tile needs to know of a camera (the server's camera JSON has more). */
export interface WallCamera {
  id: string;
  name: string;
  stream_url?: string | null;
  online?: boolean;
}

interface Tile {
  cam: WallCamera;
  el: HTMLElement;
  player: VideoPlayer | null;
  /** Why it is not played (a label key), when it is not. */
  reason: string | null;
}

export const WALL_MAX = 9;

/**
 * Whether a tile must start again for a camera's new state (camera_update):
 * it went offline or came back, or its stream moved. A name change is not
 * worth a reconnect.
 */
export function needsRestart(old: WallCamera, now: WallCamera): boolean {
  return (old.online !== false) !== (now.online !== false) || (old.stream_url ?? null) !== (now.stream_url ?? null);
}

/**
 * The wall's cameras whose state a snapshot changed (a resync after an
 * outage, or a reconnect: no camera_update told them), as they are now;
 * `online` says what the map knows of a camera, undefined when nothing.
 */
export function changedOnWall(cams: WallCamera[], online: (id: string) => boolean | undefined): WallCamera[] {
  return cams.flatMap((cam) => {
    const now = online(cam.id);
    const next = now === undefined ? cam : { ...cam, online: now };
    return needsRestart(cam, next) ? [next] : [];
  });
}

export class VideoWall {
  readonly el: HTMLElement;
  private tiles: Tile[] = [];
  /** What the wall is about (an incident, in the page's language), or nothing for cameras picked one by one. */
  private subject: () => string = () => '';

  constructor(host: HTMLElement) {
    this.el = overlay(host, 'video-wall', true, 'section');
    this.el.innerHTML = `<div class="wall-head"><h3></h3><button class="close" data-close-all></button></div><div class="wall-grid"></div>`;
    this.el.addEventListener('click', (ev) => {
      const target = ev.target as HTMLElement;
      if (target.closest('[data-close-all]')) return this.closeAll();
      const one = target.closest<HTMLElement>('[data-close-tile]');
      if (one) this.closeTile(one.dataset.closeTile!);
    });
    onLangChange(() => this.relabel());
  }

  /** Players not yet destroyed, page-wide (closing tiles must bring it back to zero). */
  get players(): number {
    return VideoPlayer.live;
  }

  /** The cameras' ids on the wall, in order. */
  get cameras(): string[] {
    return this.tiles.map((x) => x.cam.id);
  }

  /** Replaces the wall with these cameras (the first nine), about `subject`. */
  show(subject: () => string, cams: WallCamera[]): void {
    this.clear();
    this.subject = subject;
    for (const cam of cams.slice(0, WALL_MAX)) this.addTile(cam);
    this.layout();
  }

  /** One more camera; the oldest tile makes room when nine are open. Already open: left as it is. */
  add(cam: WallCamera): void {
    if (this.el.hidden) this.subject = () => '';
    if (!this.tiles.some((x) => x.cam.id === cam.id)) {
      if (this.tiles.length >= WALL_MAX) this.closeTile(this.tiles[0]!.cam.id, false);
      this.addTile(cam);
    }
    this.layout();
  }

  /**
   * A camera's state changed (the server's probe): its tile, if open, stops
   * a stream that went dead and says offline, or plays one that came back.
   */
  cameraChanged(cam: WallCamera): void {
    const tile = this.tiles.find((x) => x.cam.id === cam.id);
    if (!tile || !needsRestart(tile.cam, cam)) return;
    tile.player?.destroy();
    tile.el.querySelector('video')?.remove();
    tile.cam = { ...tile.cam, ...cam };
    this.start(tile);
    this.paint(tile);
  }

  /** What a snapshot says of the cameras' states, for the tiles it changed. */
  statesChanged(online: (id: string) => boolean | undefined): void {
    for (const cam of changedOnWall(this.tiles.map((x) => x.cam), online)) this.cameraChanged(cam);
  }

  closeTile(id: string, relayout = true): void {
    const tile = this.tiles.find((x) => x.cam.id === id);
    if (!tile) return;
    tile.player?.destroy();
    tile.el.remove();
    this.tiles = this.tiles.filter((x) => x !== tile);
    if (relayout) this.layout();
  }

  closeAll(): void {
    this.clear();
    this.layout();
  }

  private clear(): void {
    for (const tile of this.tiles) {
      tile.player?.destroy();
      tile.el.remove();
    }
    this.tiles = [];
  }

  private addTile(cam: WallCamera): void {
    const el = document.createElement('figure');
    el.className = 'video-tile';
    el.dataset.testid = 'video-tile';
    el.dataset.camera = cam.id;
    el.innerHTML = `<figcaption><span class="name" title="${esc(cam.id)}">${esc(cam.name || cam.id)}</span><button class="tile-close" data-close-tile="${esc(cam.id)}">✕</button></figcaption>
      <div class="screen"><p class="tile-status" data-testid="video-status"></p></div>`;
    const tile: Tile = { cam, el, player: null, reason: null };
    this.start(tile);
    this.tiles.push(tile);
    this.el.querySelector('.wall-grid')!.append(el);
    this.paint(tile);
  }

  /** Plays the tile's camera, or notes why it is not played. */
  private start(tile: Tile): void {
    const p = playable(tile.cam);
    tile.player = null;
    tile.reason = null;
    if (!p.ok) {
      tile.reason = p.reason;
      return;
    }
    const video = document.createElement('video');
    tile.el.querySelector('.screen')!.prepend(video);
    tile.player = new VideoPlayer(video, p.url, () => this.paint(tile));
  }

  /** A tile's state and status line. */
  private paint(tile: Tile): void {
    // loading, playing, error; or why it is not played: offline, gateway (RTSP), invalid, no_stream
    const state = tile.player ? tile.player.state : (tile.reason ?? 'video.no_stream').slice('video.'.length);
    tile.el.dataset.state = state;
    if (tile.player?.engine) tile.el.dataset.engine = tile.player.engine;
    const status = tile.el.querySelector<HTMLElement>('.tile-status')!;
    status.textContent = tile.player ? tile.player.status() : t(tile.reason ?? 'video.no_stream');
    status.title = tile.player?.failure ? `${tile.player.failure.detail} · ${tile.player.url}` : (tile.cam.stream_url ?? '');
    status.hidden = status.textContent === '';
  }

  private layout(): void {
    const n = this.tiles.length;
    this.el.hidden = n === 0;
    const { cols } = wallGrid(n);
    this.el.style.setProperty('--cols', String(cols));
    this.el.dataset.tiles = String(n);
    this.relabel();
  }

  private relabel(): void {
    const head = this.el.querySelector('.wall-head h3')!;
    const about = this.subject();
    head.textContent = `${t(this.tiles.length > 1 ? 'video.wall' : 'video.live')}${about ? ` · ${about}` : ''}`;
    this.el.querySelector('[data-close-all]')!.textContent = `${t('video.close_all')} ✕`;
    for (const tile of this.tiles) {
      tile.el.querySelector<HTMLElement>('[data-close-tile]')!.title = t('close');
      this.paint(tile);
    }
  }
}
