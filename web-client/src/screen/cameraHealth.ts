// 摄像头在线状态 — the cameras as the map draws them, kept by id so a
// `camera_update` (the server's probe found a stream dead or back) recolours
// one camera without reloading thousands, and the layers panel can say how
// many are offline.

import type { CameraInfo } from '../shared/types';
import type { CameraPoint } from './cones';

type CameraFeature = GeoJSON.Feature<GeoJSON.Point>;

export class CameraBook {
  /** The cameras source's data: mutated in place, handed to setData after a change. */
  readonly data: GeoJSON.FeatureCollection<GeoJSON.Point> = { type: 'FeatureCollection', features: [] };
  /** The same cameras for the view cones. */
  points: CameraPoint[] = [];
  private index = new Map<string, number>();

  /** The layer as loaded (cameraPoints of the OGC collection). */
  load(fc: GeoJSON.FeatureCollection<GeoJSON.Point>): void {
    this.data.features = fc.features;
    this.index = new Map(fc.features.map((f, i) => [String(f.properties!.id), i]));
    this.points = fc.features.map(toPoint);
  }

  /**
   * A pushed camera: replaces the one with its id, or is added (a camera
   * imported since the load). Returns whether anything drawn changed.
   */
  apply(c: CameraInfo): boolean {
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
