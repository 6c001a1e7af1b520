// 摄像头 on the big screen, from either source tileMode.ts chose: loading,
// the live online states (camera_update, a snapshot's cameras_offline), the
// view cones, the popup, and the count beside the layer's switch. The layers
// themselves are cameraStyle.ts's.

import { viewBBox } from '../shared/geo';
import { type GeoJSONSource, type LngLat, type Map as MapLibreMap, type MapGeoJSONFeature, Popup } from 'maplibre-gl';
import type { Api } from '../shared/api';
import { FrameBatcher } from '../shared/frame';
import type { CameraInfo } from '../shared/types';
import { CameraBook, CameraStates, snapshotCovers, type Coverage, type TreeLookup } from './cameraHealth';
import { cameraPopupHtml, popupCamera, type PopupCamera } from './cameraPopup';
import { CONE_MIN_ZOOM, conesInView, type CameraPoint } from './cones';
import { cameraPoints, loadCollection } from './layersData';
import { cameraItemPath, itemProperties, tileCameraPoint, tileCameraPoints } from './tileCameras';
import { countFeatures, type LayerPlan } from './tileMode';
import { featureOf, reloadTiles, TILE_MAXZOOM } from './tileSources';

export interface CameraHost {
  api: Api;
  map: MapLibreMap;
  /** Whether the cameras' switch is on. */
  visible(): boolean;
  tree(): TreeLookup | null;
  /** The layers panel's count (离线 12/20000). */
  showCounts(c: { total: number; offline: number }): void;
  /** The video wall: 实时视频 from the popup adds a tile; a camera's new state restarts its tile. */
  wall(): CameraWall;
}

/** What the camera layer tells the video wall (videoWall.ts). */
export interface CameraWall {
  add(cam: PopupCamera): void;
  cameraChanged(cam: CameraInfo): void;
  statesChanged(online: (id: string) => boolean | undefined): void;
}

export class CameraLayer {
  /** GeoJSON: every camera, its online state kept live. */
  readonly book = new CameraBook();
  /** Tiles: the online states the pushes told, by id. */
  readonly states = new CameraStates();
  private plan: LayerPlan = { tiles: false, total: null };
  /** The camera whose cone is shown below the all-cones zoom (clicked on). */
  private selected: CameraPoint | null = null;
  private readonly batch = new FrameBatcher(() => this.flush());
  private readonly coneBatch = new FrameBatcher(() => this.updateCones());

  constructor(private readonly host: CameraHost) {}

  get tiled(): boolean {
    return this.plan.tiles;
  }

  /** The source is on the map: from now on its data can be written. */
  attach(plan: LayerPlan): void {
    this.plan = plan;
    if (!plan.tiles) return;
    // The cones of the cameras in view come from the tiles MapLibre holds: as
    // they arrive, the cones follow (only where all cones are drawn).
    this.host.map.on('sourcedata', (e) => {
      if (e.sourceId === 'cameras' && e.isSourceLoaded && this.host.map.getZoom() >= CONE_MIN_ZOOM) this.coneBatch.request();
    });
  }

  /** GeoJSON: every camera, page by page. Tiles: MapLibre asks for them where they are looked at. */
  async load(): Promise<void> {
    if (!this.tiled) {
      this.book.loading();
      try {
        this.book.load(cameraPoints(await loadCollection(this.host.api, 'cameras')));
      } catch (e) {
        this.book.loadFailed();
        throw e;
      }
    }
    this.flush();
  }

  /** The server says the layer changed (an import). */
  async reload(): Promise<void> {
    if (!this.tiled) return this.load();
    this.plan = { ...this.plan, total: (await countFeatures(this.host.api, 'cameras')) ?? this.plan.total };
    reloadTiles(this.host.map, 'cameras');
    this.flush();
  }

  counts(): { total: number; offline: number } {
    return this.tiled ? { total: this.plan.total ?? 0, offline: this.states.offline() } : this.book.counts();
  }

  /** A camera_update: drawn, and its wall tile (if any) follows. */
  apply(c: CameraInfo): void {
    if (this.tiled ? this.states.apply(c) : this.book.apply(c)) this.batch.request();
    this.host.wall().cameraChanged(c);
  }

  /** What the map knows of a camera's state (undefined: not loaded, or on tiles never told). */
  online(id: string): boolean | undefined {
    return this.tiled ? this.states.online(id) : this.book.online(id);
  }

  /**
   * A snapshot's cameras_offline, for the box and area it covers; the wall's
   * tiles follow (after an outage the server resyncs rather than pushing a
   * camera_update per camera, and a reconnect missed what changed meanwhile).
   */
  applySnapshot(ids: string[], here: Coverage): void {
    const tree = this.host.tree();
    const changed = this.tiled
      ? this.states.applyOffline(ids, here, (k) => snapshotCovers(here, k, tree))
      : this.book.applyOffline(ids, (p) => snapshotCovers(here, { id: p.id, online: p.online, at: p.coordinates, seenIn: null }, tree));
    if (changed) this.batch.request();
    this.host.wall().statesChanged((id) => this.online(id));
  }

  /** The cameras changed (loaded, or pushed): one map write per frame however many came. */
  flush(): void {
    const map = this.host.map;
    if (!map.getSource('cameras')) return;
    if (this.tiled) {
      for (const [id, online] of this.states.takeChanges()) map.setFeatureState(featureOf(map, 'cameras', id), { online });
    } else {
      (map.getSource('cameras') as GeoJSONSource).setData(this.book.data);
    }
    this.updateCones();
    this.host.showCounts(this.counts());
  }

  /**
   * Cones blanket the map at street zoom: all of them only when zoomed in
   * very close, otherwise just the camera the operator clicked. On tiles,
   * "all" is the cameras of the tiles held for the view.
   */
  updateCones(): void {
    const map = this.host.map;
    const cones = map.getSource('camera_cones') as GeoJSONSource | undefined;
    if (!cones) return;
    cones.setData(conesInView(this.conePoints(), viewBBox(map)));
  }

  private conePoints(): CameraPoint[] {
    if (!this.host.visible()) return [];
    const all = this.host.map.getZoom() >= CONE_MIN_ZOOM;
    if (!this.tiled) return all ? this.book.points : this.book.points.filter((c) => c.id === this.selected?.id);
    if (all) return tileCameraPoints(this.host.map.querySourceFeatures('cameras', { sourceLayer: 'cameras' }), (id) => this.states.online(id));
    const s = this.selected;
    return s ? [{ ...s, online: this.states.online(s.id) ?? s.online }] : [];
  }

  /**
   * A click on a camera: its cone, and its popup (on tiles completed from its
   * OGC item, which has the stream). A tile point standing for several is
   * zoomed into, as a cluster is, while closer tiles can still part them.
   */
  open(f: MapGeoJSONFeature, at: LngLat): void {
    const id = String(f.properties.id ?? '');
    const zoom = this.host.map.getZoom();
    if (this.tiled && Number(f.properties.count ?? 1) > 1 && zoom < TILE_MAXZOOM) {
      this.host.map.easeTo({ center: at, zoom: Math.min(zoom + 2, TILE_MAXZOOM) });
      return;
    }
    this.selected = (this.tiled ? tileCameraPoint(f, this.states.online(id)) : null) ?? { id, coordinates: [at.lng, at.lat], heading: null, fov: null, range_m: 0, online: true };
    this.updateCones();
    const live = this.tiled ? this.states.online(id) : undefined;
    const popup = new Popup({ className: 'dark-popup' }).setLngLat(at).addTo(this.host.map);
    const show = (cam: PopupCamera) => {
      popup.setHTML(cameraPopupHtml(cam));
      popup.getElement().querySelector('[data-live-video]')?.addEventListener('click', () => this.host.wall().add(cam));
    };
    const first = popupCamera(live === undefined ? f.properties : { ...f.properties, online: live });
    show(first);
    if (!this.tiled) return;
    void this.host.api
      .get<{ id?: string; properties?: Record<string, unknown> }>(cameraItemPath(id))
      .then((item) => {
        if (!popup.isOpen()) return;
        const cam = { ...popupCamera(itemProperties(item)), ...(first.count ? { count: first.count } : {}) };
        const now = this.states.online(id);
        show(now === undefined ? cam : { ...cam, online: now });
      })
      .catch(() => {
        // The popup keeps what the tile said, without the video button.
      });
  }

  /** A click elsewhere: the clicked camera's cone goes. */
  deselect(): void {
    if (!this.selected) return;
    this.selected = null;
    this.updateCones();
  }
}
