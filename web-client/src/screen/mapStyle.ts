// The map's base style. With no basemap configured the administrative areas
// are the basemap (they are drawn by mapLayers on top of a plain background);
// a configured MapLibre style URL is used as it is, with our layers on top.
//
// No `glyphs` URL: MapLibre GL JS (v6) then draws every label glyph locally
// with TinySDF from the machine's own fonts, so labels need nothing from the
// internet and no glyph files in the build.

import type { StyleSpecification } from 'maplibre-gl';

export const BACKGROUND = '#06101f';

export function offlineStyle(): StyleSpecification {
  return {
    version: 8,
    name: 'riskmap offline',
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } }],
  };
}

export interface ClientConfig {
  /** A MapLibre style URL for a basemap (e.g. an intranet tile server); none by default. */
  basemapStyle?: string;
}

/**
 * Reads the optional `config.json` next to index.html (deployments drop one
 * into the static dir), then lets `?basemap=` override it for a session.
 */
export async function loadClientConfig(search: string): Promise<ClientConfig> {
  let cfg: ClientConfig = {};
  try {
    const res = await fetch('./config.json', { cache: 'no-store' });
    if (res.ok) cfg = (await res.json()) as ClientConfig;
  } catch {
    // no config.json: the defaults
  }
  const q = new URLSearchParams(search).get('basemap');
  if (q) cfg.basemapStyle = q;
  return cfg;
}
