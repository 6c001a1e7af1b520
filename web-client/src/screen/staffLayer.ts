// The staff on the big screen's map: H3 hexagons with counts below street
// zoom, individual markers from it, and the counts behind both and behind the
// staff panel's figures, kept as the live connection patches the store.
//
// Markers from zoom 14: a 1920-pixel screen then spans about 8 km by 4.5 km,
// a 街道 or two, where the heading arrows already start (mapLayers.ts): the
// demo city puts a few hundred dots there, the 100,000-staff benchmark city
// (185 a km² over loadgen's urban core) some 7,000. Below it the staff are
// counted per hexagon at the heat map's resolution for the zoom (heat.ts: 6 …
// 9, a cell 30–90 pixels across), so the two hexagon layers line up. A view
// holding more than MARKER_BUDGET (a million staff in that core: 67,000 at
// zoom 14) stays hexagons at FINE_RES (400 m across) until
// ALWAYS_MARKERS_ZOOM, where the screen spans 2 km.
//
// The counts come from the members the store holds, or, in a city past
// staffCensus.ts's threshold, from the server's census (`staff_cells`): the
// store then holds only the members of a street-sized view, for the markers.

import { cellToLatLng } from 'h3-js';
import { type GeoJSONSource, type LngLat, type MapGeoJSONFeature, type Map as MapLibreMap, Popup } from 'maplibre-gl';
import { IntervalBatcher } from '../shared/frame';
import { bboxContainsPoint, viewBBox } from '../shared/geo';
import type { BBox, LiveLayer, StaffCell, StaffCells } from '../shared/types';
import { heatResolution } from './heat';
import { FINE_RES, StaffAggregate } from './staffAggregate';
import { StaffHexes } from './staffHexes';
import { staffHexHtml } from './staffHexPopup';
import { type SourceWrite, writeSource } from './sourceWrite';
import { metresPerPixel, StaffPoints } from './staffPoints';
import { type MapPace, paceOf } from './mapPace';
import { CellLegend } from './staffCensus';
import { staffFeature, type StaffStore } from './staffStore';

/** Individual markers from this zoom… */
export const MARKER_ZOOM = 14;
/** …when the view holds at most this many members (beyond, a frame draws too many dots to stay smooth, and they overlap)… */
export const MARKER_BUDGET = 20_000;
/** …and from this zoom whatever the view holds (a 1920-pixel screen spans 2 km). */
export const ALWAYS_MARKERS_ZOOM = 16;

/**
 * Heading arrows (mapLayers.ts, from zoom 14) only while the view holds at most
 * this many markers, else from ALWAYS_MARKERS_ZOOM: arrows are symbols, which
 * MapLibre places 2 ms a frame, so a few thousand of them keep the map
 * repainting for several frames after every write.
 */
export const HEADING_BUDGET = 1_000;

/**
 * The map is written at most this often while markers are drawn, whatever the
 * rate of moves: each write makes MapLibre re-tile the source and repaint the
 * whole map, the dearest thing a frame does (tens to hundreds of milliseconds
 * where WebGL runs on the CPU, as in the headless benchmark), and the
 * heading arrows and names are placed again over the next frames. The cost
 * grows with the markers the source holds, so the interval does too: from
 * MARKER_WRITE_MIN_MS for a street's few hundred (a fix is on the map well
 * within a second) to MARKER_WRITE_MAX_MS for many thousands (a phone reports
 * every few seconds, so a walk still reads as a walk). Where the map's own
 * drawing is slower than these allow for, mapPace.ts spaces the writes further.
 */
export const MARKER_WRITE_MIN_MS = 150;
export const MARKER_WRITE_MAX_MS = 500;
/** Markers held per millisecond of interval between the two bounds. */
const MARKERS_PER_MS = 10;

/** How long to leave between two writes of a marker source holding `held` members. */
export function markerWriteMs(held: number): number {
  return Math.min(MARKER_WRITE_MAX_MS, Math.max(MARKER_WRITE_MIN_MS, held / MARKERS_PER_MS));
}

/**
 * …and while hexagons are: their counts are symbols too, re-placed over
 * several frames after each write, and a count three seconds late goes
 * unnoticed at city zoom (the staff panel's figures follow every move).
 */
export const HEX_WRITE_MS = 3000;

/** The hexagon resolution to draw at a zoom, or null for markers; `inView` is asked only when it matters. */
export function hexResolutionFor(zoom: number, inView: () => number): number | null {
  if (zoom < MARKER_ZOOM) return Math.min(heatResolution(zoom), FINE_RES);
  if (zoom >= ALWAYS_MARKERS_ZOOM) return null;
  return inView() > MARKER_BUDGET ? FINE_RES : null;
}

export class StaffLayer {
  readonly aggregate: StaffAggregate;
  private readonly points: StaffPoints;
  private readonly hexes: StaffHexes;
  /** The sources missed a write (the map was not loaded yet): the next move rewrites them. */
  private stale = true;
  /** In scope or not, per grid: a city's members stand in a few thousand grids, asked once each. */
  private readonly scoped = new Map<string | undefined, boolean>();
  /** Members changed since the markers were last written, or all of them (a snapshot came). */
  private readonly unwritten = new Set<string>();
  private unwrittenAll = false;
  /** A marker must be drawn now (StaffPoints.dueNow: its look changed, or it jumped) since the last write: the next one keeps to the fixed interval, not the map's pace. */
  private urgent = false;
  /** Where WebGL is slow (mapPace.ts), writes further apart than markerWriteMs and HEX_WRITE_MS say. */
  private readonly pace: MapPace;
  private readonly writes = new IntervalBatcher(() => this.writeNow(), 0);
  /**
   * Counts from the server (`staff_cells`, staffCensus.ts) rather than from
   * the members held: the store then holds only a street's members, for the
   * markers, and counts nothing.
   */
  cells = false;
  /** The class names of the last snapshot's cells. */
  private legend: CellLegend | null = null;

  constructor(
    private readonly map: MapLibreMap,
    private readonly store: StaffStore,
    /** Whether a grid is in the drill-down's scope: its members are counted in the hexagons and the panel. */
    inScope: (grid: string | undefined) => boolean,
  ) {
    this.aggregate = new StaffAggregate((s) => {
      let v = this.scoped.get(s.grid);
      if (v === undefined) this.scoped.set(s.grid, (v = inScope(s.grid)));
      return v;
    });
    this.points = new StaffPoints((s) => staffFeature(s, store.isOffline(s.id)));
    this.hexes = new StaffHexes(this.aggregate);
    this.pace = paceOf(map);
    this.pace.writers.join(this.writes);
  }

  /** Hexagons or markers, whichever the view wants now (the map has loaded; the view moved). */
  onMove(): void {
    if (!this.map.getSource('staff')) return;
    const view = this.view();
    let inView: number | undefined;
    const count = () => (inView ??= this.countIn(view));
    const res = hexResolutionFor(this.map.getZoom(), count);
    this.headingsFrom(res === null && this.map.getZoom() < ALWAYS_MARKERS_ZOOM && count() > HEADING_BUDGET ? ALWAYS_MARKERS_ZOOM : MARKER_ZOOM);
    const rewrite = this.stale;
    this.stale = false;
    this.write('staff_hex', rewrite && res === this.hexes.res ? this.hexes.rewrite() : this.hexes.show(res));
    const all = this.store.byId.values();
    this.write('staff', rewrite && res === null && this.points.active ? this.points.rewrite(all) : this.points.follow(res === null ? view : null, all));
  }

  /** The staff layers to subscribe to for the view now: members, or counts and (from street zoom) members. */
  liveLayers(): LiveLayer[] {
    if (!this.cells) return ['staff'];
    const view = this.view();
    return hexResolutionFor(this.map.getZoom(), () => this.countIn(view)) === null ? ['staff_cells', 'staff'] : ['staff_cells'];
  }

  /**
   * Cells counted by the server: a snapshot's (every cell; those it lacks
   * emptied, drawn at once) or a `staff_cells` message's (those that changed).
   */
  applyCells(m: StaffCells | StaffCell[]): void {
    const snapshot = !Array.isArray(m);
    if (snapshot) this.legend = new CellLegend(m);
    const legend = this.legend;
    if (!legend) return;
    const cells = snapshot ? m.cells : m;
    for (const c of cells) this.aggregate.setCell(c.cell, legend.hist(c.counts));
    if (snapshot) {
      const sent = new Set(cells.map((c) => c.cell));
      const empty = new Int32Array(0);
      for (const c of [...this.aggregate.cellsAt(FINE_RES)]) if (!sent.has(c.id)) this.aggregate.setCell(c.id, empty);
    }
    this.writeDue(snapshot);
  }

  /**
   * The store's changes since the last frame: counted at once (the panel's
   * figures), drawn when the next write is due (a snapshot's at once).
   * Returns whether it was a whole new set, for the panel to show at once.
   */
  flush(): boolean {
    const c = this.store.takeChanges();
    if (c.full) {
      if (!this.cells) this.sync();
      this.unwrittenAll = true;
      this.unwritten.clear();
    } else {
      for (const ids of [c.added, c.changed]) {
        for (const id of ids) {
          if (!this.cells) this.count(id);
          if (!this.unwrittenAll) this.unwritten.add(id);
        }
      }
      this.urgent ||= this.points.dueNow(c.changed, (id) => this.store.byId.get(id), metresPerPixel(this.map.getZoom(), this.map.getCenter().lat));
    }
    this.writeDue(c.full);
    return c.full;
  }

  /** Writes the sources now, or once the interval since the last write has passed. */
  private writeDue(now: boolean): void {
    const fixed = this.hexes.res === null ? markerWriteMs(this.points.shown.size) : HEX_WRITE_MS;
    this.writes.request(now || !this.drawn(), this.urgent ? fixed : this.pace.intervalMs(fixed));
  }

  /** Whether the sources were written since the map loaded (else the next move writes them whole). */
  private drawn(): boolean {
    return !!this.map.getSource('staff') && !this.stale;
  }

  private writeNow(): void {
    if (!this.drawn()) {
      // Not drawn yet: the first move draws everything.
      this.stale = true;
      this.onMove();
      if (!this.stale) this.forgetUnwritten();
      return;
    }
    this.urgent = false;
    // The hexagons are patched even after a snapshot: the counts know which cells changed.
    this.write('staff_hex', this.hexes.patch());
    const byId = this.store.byId;
    this.write('staff', this.unwrittenAll ? this.points.rewrite(byId.values()) : this.points.patch(this.unwritten, (id) => byId.get(id)));
    this.forgetUnwritten();
  }

  private forgetUnwritten(): void {
    this.unwritten.clear();
    this.unwrittenAll = false;
  }

  /** The scope changed: everyone counted again, the hexagons that changed redrawn. */
  rescope(): void {
    this.scoped.clear();
    // Counts from the server follow the new subscription's snapshot.
    if (this.cells) return;
    this.sync();
    this.write('staff_hex', this.hexes.patch());
  }

  /** A hexagon's count label was clicked: its members by role and by duty. */
  openHex(f: MapGeoJSONFeature, at: LngLat): void {
    const c = this.aggregate.get(Number(f.properties.res), String(f.properties.cell));
    if (!c) return;
    new Popup({ className: 'dark-popup' }).setLngLat(at).setHTML(staffHexHtml(c.id, this.aggregate.figures(c))).addTo(this.map);
  }

  /** Everyone in the store counted as they now are; those it no longer holds forgotten. */
  private sync(): void {
    const { byId } = this.store;
    for (const s of byId.values()) this.aggregate.set(s, this.store.isOffline(s.id));
    this.aggregate.retain((id) => byId.has(id));
  }

  private count(id: string): void {
    const s = this.store.byId.get(id);
    if (s) this.aggregate.set(s, this.store.isOffline(id));
    else this.aggregate.delete(id);
  }

  private view(): BBox {
    return viewBBox(this.map);
  }

  private headingsFrom(zoom: number): void {
    const layer = this.map.getLayer('staff-heading');
    if (layer && layer.minzoom !== zoom) this.map.setLayerZoomRange('staff-heading', zoom, 24);
  }

  private countIn(view: BBox): number {
    let n = 0;
    if (this.cells) {
      for (const c of this.aggregate.cellsAt(FINE_RES)) {
        const [lat, lon] = cellToLatLng(c.id);
        if (bboxContainsPoint(view, [lon, lat])) n += c.n;
      }
      return n;
    }
    for (const s of this.store.byId.values()) if (bboxContainsPoint(view, [s.lon, s.lat])) n++;
    return n;
  }

  private write(source: string, w: SourceWrite): void {
    writeSource(this.map.getSource(source) as GeoJSONSource | undefined, w);
  }
}
