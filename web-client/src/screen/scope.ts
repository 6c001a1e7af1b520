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
 * server routes only the moves that can be seen. `staff` are the staff layers
 * (members, or counts per cell: staffCensus.ts); `narrow` sends the scope with
 * the viewport, for counts the server must limit to the area drilled into
 * (members are filtered here instead).
 */
export function subscriptionFor(
  scope: { code: string; bbox: BBox } | null,
  view: BBox,
  staff: readonly LiveLayer[] = ['staff'],
  narrow = false,
): Subscription {
  if (scope && bboxContains(padBBox(view, 0.05), scope.bbox)) return areaSubscription(scope.code, staff);
  const layers = liveLayers(staff);
  const bbox = padBBox(view, 0.2);
  return narrow && scope ? { area: scope.code, bbox, layers } : { bbox, layers };
}

/** A whole area: what the screen watches as it opens on the login's own area. */
export function areaSubscription(code: string, staff: readonly LiveLayer[] = ['staff']): Subscription {
  return { area: code, layers: liveLayers(staff) };
}

const liveLayers = (staff: readonly LiveLayer[]): LiveLayer[] => [...staff, ...LIVE_LAYERS.filter((l) => l !== 'staff')];

export function sameSubscription(a: Subscription | null, b: Subscription): boolean {
  if (!a) return false;
  const area = (s: Subscription) => ('area' in s ? s.area : null);
  const bbox = (s: Subscription) => ('bbox' in s ? s.bbox : null);
  const [ba, bb] = [bbox(a), bbox(b)];
  const sameBox = ba === null || bb === null ? ba === bb : ba.every((v, i) => Math.abs(v - bb[i]!) < 1e-9);
  return area(a) === area(b) && sameBox && a.layers.join() === b.layers.join();
}
