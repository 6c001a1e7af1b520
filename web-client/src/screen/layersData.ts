// Loads the static layers from OGC API - Features, page by page (the server
// returns at most 10,000 features a page), and turns them into map data.

import type { Api } from '../shared/api';
import { labelPoint, type AreaGeometry } from '../shared/geo';
import type { AreaFeature } from './areaTree';

const PAGE = 10_000;

interface FeaturePage {
  features: GeoJSON.Feature[];
  numberMatched?: number;
  numberReturned?: number;
}

export type OgcCollection = 'areas' | 'cameras' | 'risk_sources' | 'key_places' | 'staff' | 'incidents';

export async function loadCollection(
  api: Api,
  collection: OgcCollection,
  params: Record<string, string> = {},
): Promise<GeoJSON.Feature[]> {
  const out: GeoJSON.Feature[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.get<FeaturePage>(`/ogc/collections/${collection}/items`, { ...params, limit: PAGE, offset });
    out.push(...page.features);
    const matched = page.numberMatched ?? out.length;
    if (page.features.length < PAGE || out.length >= matched) return out;
  }
}

/** One label point per area, at the centre of its extent. */
export function areaLabels(areas: AreaFeature[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: areas.map((a) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: labelPoint(a.geometry) },
      properties: { code: a.properties.code, name: a.properties.name, level: a.properties.level },
    })),
  };
}

/** Cameras as the map draws them: heading and field of view under short names. */
export function cameraPoints(features: GeoJSON.Feature[]): GeoJSON.FeatureCollection<GeoJSON.Point> {
  return {
    type: 'FeatureCollection',
    features: features
      .filter((f): f is GeoJSON.Feature<GeoJSON.Point> => f.geometry?.type === 'Point')
      .map((f) => {
        const p = f.properties ?? {};
        return {
          type: 'Feature',
          geometry: f.geometry,
          properties: {
            id: p.id ?? f.id,
            name: p.name ?? '',
            online: p.online !== false,
            heading: p.heading_deg ?? null,
            fov: p.fov_deg ?? null,
            range_m: p.range_m ?? 50,
            owner: p.owner ?? '',
            stream_url: typeof p.stream_url === 'string' ? p.stream_url : '',
          },
        };
      }),
  };
}

export function asAreaFeatures(features: GeoJSON.Feature[]): AreaFeature[] {
  return features.map((f) => ({ id: f.id, geometry: f.geometry as AreaGeometry, properties: f.properties as AreaFeature['properties'] }));
}
