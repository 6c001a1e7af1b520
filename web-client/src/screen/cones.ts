// 摄像头视域 — field-of-view cones for the cameras in view once zoomed in far
// enough to read them. Only the cameras inside the viewport are turned into
// polygons, so 20,000 cameras cost nothing until someone looks closely.

import { bboxContainsPoint, viewCone, type Position } from '../shared/geo';
import type { BBox } from '../shared/types';

/** Every cone in view from this zoom on; below it, only the clicked camera's. */
export const CONE_MIN_ZOOM = 17.5;
/** Enough for a street full of cameras at 4K; beyond that the view is too far out anyway. */
export const MAX_CONES = 1500;

export interface CameraPoint {
  coordinates: Position;
  heading: number | null;
  fov: number | null;
  range_m: number;
  online: boolean;
  id: string;
}

export function conesInView(cameras: CameraPoint[], view: BBox): GeoJSON.FeatureCollection<GeoJSON.Polygon> {
  const features: GeoJSON.Feature<GeoJSON.Polygon>[] = [];
  for (const c of cameras) {
    if (!bboxContainsPoint(view, c.coordinates)) continue;
    features.push({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [viewCone(c.coordinates, c.heading, c.fov, c.range_m)] },
      properties: { id: c.id, online: c.online },
    });
    if (features.length >= MAX_CONES) break;
  }
  return { type: 'FeatureCollection', features };
}
