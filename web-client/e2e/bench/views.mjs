// The big-screen bench's views (bigscreen.mjs measures them; overdue.mjs puts
// its incidents where they are in view).

/**
 * Where each view looks. `city`: the screen as it opens (the whole city in
 * view, the drill-down at its root). The others over loadgen's urban core,
 * where the bench city's staff stand (120.55–120.8 E, 27.9–28.1 N):
 * `district` at zoom 12, `street` at 15 (a few streets: markers, names from 16).
 */
export const VIEW_AT = {
  city: null,
  district: { center: [120.675, 28.0], zoom: 12 },
  street: { center: [120.655, 28.015], zoom: 15 },
};
