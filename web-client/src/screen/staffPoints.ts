// The individual staff markers from street zoom: only those in a box around
// the view go into the map's GeoJSON source.
//
// The store may hold a whole city (an area subscription: a million members
// just after zooming in, before the box subscription's snapshot replaces
// them); the map source must not, or each write would be cloned to the worker
// and tiled whole. So the source holds the view plus a margin, rewritten
// when the view leaves that box, and patched (add, move, remove) as members
// change in between.

import type { GeoJSONSourceDiff } from 'maplibre-gl';
import { bboxContainsPoint, boxAround, haversine, type Position } from '../shared/geo';
import type { BBox, StaffLive } from '../shared/types';
import type { SourceWrite } from './sourceWrite';

/** The margin around the view, as a share of its size on each side: a short pan needs no rewrite. */
export const POINTS_MARGIN = 0.5;

/** How a marker looks, apart from where it is: its duty colour and whether it is drawn offline. */
function lookOf(f: GeoJSON.Feature): string {
  return `${f.properties?.duty}/${f.properties?.offline}`;
}

/**
 * A move this many pixels or more is a jump, not a step: a walker moves a few
 * pixels between two fixes at street zoom, a marker 200 m away from where it
 * is drawn is plainly in the wrong place while it waits for the map's pace.
 */
export const JUMP_PX = 40;

/** Metres per CSS pixel of a web-Mercator map (512-px tiles) at `zoom` and `lat`. */
export function metresPerPixel(zoom: number, lat: number): number {
  return (40_075_016.686 * Math.cos((lat * Math.PI) / 180)) / (512 * 2 ** zoom);
}

/** A marker as written to the source: how it looks (lookOf) and where it stands. */
interface Drawn {
  look: string;
  at: Position;
}

export class StaffPoints {
  /** The ids in the source now, each with its marker as written. */
  readonly shown = new Map<string, Drawn>();
  /** The box the source covers; null while markers are not drawn (hexagons instead). */
  private box: BBox | null = null;

  constructor(
    /** A member's feature (StaffStore's), offline or not. */
    private readonly feature: (s: StaffLive) => GeoJSON.Feature<GeoJSON.Point>,
  ) {}

  get active(): boolean {
    return this.box !== null;
  }

  /**
   * The view moved (or markers were switched on): a rewrite when it left the
   * box the source covers, else nothing. `view` null switches markers off and
   * empties the source.
   */
  follow(view: BBox | null, all: Iterable<StaffLive>): SourceWrite {
    if (!view) {
      if (!this.box) return null;
      this.box = null;
      this.shown.clear();
      return { data: { type: 'FeatureCollection', features: [] } };
    }
    const box = boxAround(this.box, view, POINTS_MARGIN);
    if (box === this.box) return null;
    this.box = box;
    return this.rewrite(all);
  }

  /** Everything again (a snapshot came): the members in the box. */
  rewrite(all: Iterable<StaffLive>): SourceWrite {
    this.shown.clear();
    if (!this.box) return null;
    const features: GeoJSON.Feature[] = [];
    for (const s of all) {
      if (!this.inBox(s)) continue;
      const f = this.feature(s);
      this.drawn(s, f);
      features.push(f);
    }
    return { data: { type: 'FeatureCollection', features } };
  }

  /** Members that changed (`get` gives their record, undefined once gone): what to add, update and remove. */
  patch(ids: Iterable<string>, get: (id: string) => StaffLive | undefined): SourceWrite {
    if (!this.box) return null;
    const add: GeoJSON.Feature[] = [];
    const update: NonNullable<GeoJSONSourceDiff['update']> = [];
    const remove: string[] = [];
    for (const id of ids) {
      const s = get(id);
      const inside = !!s && this.inBox(s);
      if (inside && this.shown.has(id)) {
        const f = this.feature(s);
        this.drawn(s, f);
        update.push({
          id,
          newGeometry: f.geometry,
          addOrUpdateProperties: Object.entries(f.properties!).map(([key, value]) => ({ key, value })),
        });
      } else if (inside) {
        const f = this.feature(s);
        this.drawn(s, f);
        add.push(f);
      } else if (this.shown.delete(id)) {
        remove.push(id);
      }
    }
    if (!add.length && !update.length && !remove.length) return null;
    return { diff: { add, update, remove } };
  }

  /**
   * Whether any of these members' markers must be written now rather than at
   * the map's pace: it would look different (a duty changed, a member went
   * offline or came back) — a dispatcher is waiting for that — or it stands
   * JUMP_PX or more, at `metresPerPx`, from where it is drawn (plainly in the
   * wrong place). A step of a walk can wait for the map.
   */
  dueNow(ids: Iterable<string>, get: (id: string) => StaffLive | undefined, metresPerPx: number): boolean {
    const far = JUMP_PX * metresPerPx;
    for (const id of ids) {
      const drawn = this.shown.get(id);
      const s = drawn && get(id);
      // The distance first: it costs less than writing the feature for its look.
      if (drawn && s && (haversine(drawn.at, [s.lon, s.lat]) >= far || lookOf(this.feature(s)) !== drawn.look)) return true;
    }
    return false;
  }

  /** A member's marker as written now: its look and where. */
  private drawn(s: StaffLive, f: GeoJSON.Feature): void {
    this.shown.set(s.id, { look: lookOf(f), at: [s.lon, s.lat] });
  }

  private inBox(s: StaffLive): boolean {
    return bboxContainsPoint(this.box!, [s.lon, s.lat]);
  }
}
