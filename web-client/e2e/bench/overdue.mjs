// Overdue incidents for the big-screen bench (scripts/bigscreen-bench.sh,
// OVERDUE=N): N emergency incidents reported around the bench's street view
// (bigscreen.mjs, VIEW_AT), accepted and sent to a department whose own limit
// to sign (签收) runs out in about a second (0.003 h × 0.1 for an emergency, on
// the natural clock), so that the screen opens on N red (超期) incidents in
// view at district and at street zoom. Waits until the server says they are red.
//
//   RISKMAP_URL=http://127.0.0.1:PORT RISKMAP_ADMIN_PASSWORD=… OVERDUE=5 node e2e/bench/overdue.mjs

import { ADMIN_PASSWORD, api, token } from '../support.mjs';

const N = Number(process.env.OVERDUE ?? 0);
/** The street view's centre (bigscreen.mjs), and how far around it the incidents lie, degrees. */
const AROUND = [120.655, 28.015];
const SPREAD = 0.004;

const tok = await token('admin', ADMIN_PASSWORD);
// The city itself serves as the department's area (the administrator's own area is the whole book: '').
const city = (await api(tok, 'GET', '/ogc/collections/areas/items?level=city&limit=1')).features[0].properties.code;
const { categories } = await api(tok, 'GET', '/api/incidents/categories');
const category = categories.flatMap((c) => c.children ?? []).find((c) => c.department);
const department = `bench-overdue-${Date.now()}`;
await api(tok, 'POST', '/api/departments', {
  departments: [{ code: department, name: '限时测试队', kind: category.department, area: city, limits: { sign: 0.003, handle: 1 } }],
});
const ids = [];
for (let i = 0; i < N; i++) {
  // On a small circle around the centre, so that each is in view and none hides another.
  const angle = (2 * Math.PI * i) / N;
  const at = { lon: AROUND[0] + SPREAD * Math.cos(angle), lat: AROUND[1] + SPREAD * Math.sin(angle) };
  const inc = await api(tok, 'POST', '/api/incidents', { category: category.code, source: 'hotline', priority: 'emergency', ...at, description: 'bench: 超期' });
  await api(tok, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'accept' });
  await api(tok, 'POST', `/api/incidents/${inc.id}/actions`, { action: 'dispatch', department });
  ids.push(inc.id);
}
for (let tries = 0; ; tries++) {
  const red = await Promise.all(ids.map(async (id) => (await api(tok, 'GET', `/api/incidents/${id}`)).warning === 'red'));
  if (red.every(Boolean)) break;
  if (tries > 30) throw new Error(`not overdue after 15 s: ${ids.filter((_, i) => !red[i])}`);
  await new Promise((r) => setTimeout(r, 500));
}
process.stderr.write(`bigscreen-bench: ${N} overdue incidents around ${AROUND}\n`);
