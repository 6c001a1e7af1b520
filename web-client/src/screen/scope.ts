// The area the screen is drilled into (city → district → street → community →
// grid) and what that means for a subscription.

import { bboxContains, padBBox } from '../shared/geo';
import type { BBox, Subscription, LiveLayer } from '../shared/types';

// `camera_health`, not `cameras`: the screen loads the cameras once from /ogc
// and follows only which are down.
export const LIVE_LAYERS: LiveLayer[] = ['staff', 'incidents', 'alerts', 'stats', 'risk', 'camera_health'];

/**
 * What to subscribe to: the whole scope area while all of it is in view (its
 * subtree only, whatever else the box holds), else the padded viewport so the
 * server routes only the moves that can be seen.
 */
export function subscriptionFor(scope: { code: string; bbox: BBox } | null, view: BBox): Subscription {
  if (scope && bboxContains(padBBox(view, 0.05), scope.bbox)) {
    return { area: scope.code, layers: LIVE_LAYERS };
  }
  return { bbox: padBBox(view, 0.2), layers: LIVE_LAYERS };
}

export function sameSubscription(a: Subscription | null, b: Subscription): boolean {
  if (!a) return false;
  if ('area' in a && 'area' in b) return a.area === b.area;
  if ('bbox' in a && 'bbox' in b) return a.bbox.every((v, i) => Math.abs(v - b.bbox[i]!) < 1e-9);
  return false;
}
