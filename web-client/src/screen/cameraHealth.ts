// 摄像头在线状态 — the cameras as the map draws them, kept by id so a
// `camera_update` (the server's probe found a stream dead or back) recolours
// one camera without reloading thousands, and the layers panel can say how
// many are offline. On GeoJSON every camera is held (CameraBook); on vector
// tiles none is, and only the states the live pushes told are (CameraStates),
// written to the map as feature-state.

import { bboxContains, bboxContainsPoint, type Position } from '../shared/geo';
import type { BBox, CameraInfo } from '../shared/types';
import type { CameraPoint } from './cones';

type CameraFeature = GeoJSON.Feature<GeoJSON.Point>;

export class CameraBook {
  /** The cameras source's data: mutated in place, handed to setData after a change. */
  readonly data: GeoJSON.FeatureCollection<GeoJSON.Point> = { type: 'FeatureCollection', features: [] };
  /** The same cameras for the view cones. */
  points: CameraPoint[] = [];
  private index = new Map<string, number>();
  /**
   * The pushes that came while a load was under way, replayed on what it
   * brings: its pages may have been cut before them, and a camera the probe
   * found dead meanwhile would otherwise be drawn online until its next change.
   */
  private sinceLoadBegan: ((book: CameraBook) => void)[] | null = null;

  /** A load has begun: the pushes from now on are kept for it. */
  loading(): void {
    this.sinceLoadBegan = [];
  }

  /** The load failed: nothing to replay the pushes on (they are drawn already). */
  loadFailed(): void {
    this.sinceLoadBegan = null;
  }

  /** The layer as loaded (cameraPoints of the OGC collection), then what was pushed meanwhile. */
  load(fc: GeoJSON.FeatureCollection<GeoJSON.Point>): void {
    this.data.features = fc.features;
    this.index = new Map(fc.features.map((f, i) => [String(f.properties!.id), i]));
    this.points = fc.features.map(toPoint);
    const replay = this.sinceLoadBegan ?? [];
    this.sinceLoadBegan = null;
    for (const push of replay) push(this);
  }

  /**
   * A pushed camera: replaces the one with its id, or is added (a camera
   * imported since the load). Returns whether anything drawn changed.
   */
  apply(c: CameraInfo): boolean {
    this.sinceLoadBegan?.push((book) => book.apply(c));
    const feature: CameraFeature = {
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [c.lon, c.lat] },
      properties: {
        id: c.id,
        name: c.name,
        online: c.online !== false,
        heading: c.heading ?? null,
        fov: c.fov ?? null,
        range_m: c.range_m ?? 50,
        owner: c.owner ?? '',
        stream_url: typeof c.stream_url === 'string' ? c.stream_url : '',
      },
    };
    const at = this.index.get(c.id);
    if (at === undefined) {
      this.index.set(c.id, this.data.features.length);
      this.data.features.push(feature);
      this.points.push(toPoint(feature));
      return true;
    }
    const old = this.data.features[at]!;
    if (JSON.stringify(old) === JSON.stringify(feature)) return false;
    this.data.features[at] = feature;
    this.points[at] = toPoint(feature);
    return true;
  }

  /**
   * A snapshot's `cameras_offline`: the cameras it lists are down; one shown
   * down that it covers and leaves out is up again (a change missed while the
   * connection was away). Returns whether anything drawn changed.
   */
  applyOffline(ids: string[], covers: (p: CameraPoint) => boolean): boolean {
    this.sinceLoadBegan?.push((book) => book.applyOffline(ids, covers));
    const down = new Set(ids);
    let changed = false;
    this.points.forEach((p, i) => {
      const online = down.has(p.id) ? false : p.online || covers(p);
      if (online === p.online) return;
      p.online = online;
      this.data.features[i]!.properties!.online = online;
      changed = true;
    });
    return changed;
  }

  /** A loaded camera's state, or undefined. */
  online(id: string): boolean | undefined {
    const at = this.index.get(id);
    return at === undefined ? undefined : this.points[at]!.online;
  }

  /** How many cameras are loaded and how many of them are offline. */
  counts(): { total: number; offline: number } {
    let offline = 0;
    for (const p of this.points) if (!p.online) offline++;
    return { total: this.points.length, offline };
  }
}

function toPoint(f: CameraFeature): CameraPoint {
  const p = f.properties!;
  return {
    id: String(p.id),
    coordinates: f.geometry.coordinates as [number, number],
    heading: (p.heading as number | null) ?? null,
    fov: (p.fov as number | null) ?? null,
    range_m: Number(p.range_m),
    online: Boolean(p.online),
  };
}

/** What a snapshot covered: its box and, for an area subscription, the area. */
export interface Coverage {
  bbox: BBox | null;
  area: string | null;
}

/** A camera whose online state a push told (tiles). */
export interface KnownCamera {
  id: string;
  online: boolean;
  /** Where it stands, when a camera_update said; a snapshot's list of ids does not. */
  at: Position | null;
  /** The snapshot that last listed it down. */
  seenIn: Coverage | null;
}

/** Just what a snapshot's coverage needs of the governance tree. */
export interface TreeLookup {
  within(code: string | null | undefined, ancestor: string | null): boolean;
  gridAt(p: Position): { code: string } | null;
}

/**
 * Whether a snapshot speaks for a camera's state: the camera is inside it.
 * Without its position (only a snapshot ever listed it), it is when the
 * snapshot covers all the earlier one that listed it did (the same or a wider
 * subscription); otherwise it is left as it is, grey until a push says more.
 */
export function snapshotCovers(now: Coverage, k: KnownCamera, tree: TreeLookup | null): boolean {
  if (!now.bbox) return false;
  if (k.at) return bboxContainsPoint(now.bbox, k.at) && (!now.area || !!tree?.within(tree.gridAt(k.at)?.code, now.area));
  const was = k.seenIn;
  if (!was?.bbox || !bboxContains(now.bbox, was.bbox)) return false;
  return !now.area || (!!was.area && !!tree?.within(was.area, now.area));
}

/**
 * The cameras' live online states on tiles. The tiles carry each camera's
 * `online` as it was cut; what came since (camera_update, a snapshot's
 * `cameras_offline`) is kept here by id and handed to the map as
 * feature-state, which the paint prefers. The offline count is the cameras
 * known down: a snapshot of the login's whole area lists them all at start.
 */
export class CameraStates {
  private readonly known = new Map<string, KnownCamera>();
  private readonly changed = new Set<string>();

  /** A pushed camera. Returns whether its drawn state changed. */
  apply(c: CameraInfo): boolean {
    const online = c.online !== false;
    const at: Position = [c.lon, c.lat];
    const k = this.known.get(c.id);
    if (k) {
      k.at = at;
      if (k.online === online) return false;
      k.online = online;
    } else {
      this.known.set(c.id, { id: c.id, online, at, seenIn: null });
    }
    this.changed.add(c.id);
    return true;
  }

  /**
   * A snapshot's `cameras_offline`: those listed are down; one known down
   * that the snapshot covers and leaves out is up again. Returns whether
   * anything drawn changed.
   */
  applyOffline(ids: string[], here: Coverage, covers: (k: KnownCamera) => boolean): boolean {
    const down = new Set(ids);
    let changed = false;
    for (const id of down) {
      const k = this.known.get(id);
      if (k) k.seenIn = here;
      if (k && !k.online) continue;
      if (k) k.online = false;
      else this.known.set(id, { id, online: false, at: null, seenIn: here });
      this.changed.add(id);
      changed = true;
    }
    for (const k of this.known.values()) {
      if (k.online || down.has(k.id) || !covers(k)) continue;
      k.online = true;
      this.changed.add(k.id);
      changed = true;
    }
    return changed;
  }

  /** The state a push told, or undefined (then the tile's own `online` holds). */
  online(id: string): boolean | undefined {
    return this.known.get(id)?.online;
  }

  /** The states changed since the last call, for setFeatureState. */
  takeChanges(): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const id of this.changed) out.set(id, this.known.get(id)!.online);
    this.changed.clear();
    return out;
  }

  /** How many cameras are known down. */
  offline(): number {
    let n = 0;
    for (const k of this.known.values()) if (!k.online) n++;
    return n;
  }
}
