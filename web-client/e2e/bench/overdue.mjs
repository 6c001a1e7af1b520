// Overdue incidents for the big-screen bench (scripts/bigscreen-bench.sh,
// OVERDUE=N): N emergency incidents reported around the street view's centre
// (views.mjs), sent to a hasty department (support.mjs: its own limit to sign
// runs out in about a second), so that the screen opens on N red (超期)
// incidents in view at district and at street zoom. Done once the server says
// they are red.
//
//   RISKMAP_URL=http://127.0.0.1:PORT RISKMAP_ADMIN_PASSWORD=… OVERDUE=5 node e2e/bench/overdue.mjs

import { ADMIN_PASSWORD, api, hastyDepartment, overdueIncident, token } from '../support.mjs';
import { VIEW_AT } from './views.mjs';

const N = Number(process.env.OVERDUE ?? 0);
/** How far around the street view's centre the incidents lie, degrees. */
const SPREAD = 0.004;
const [lon, lat] = VIEW_AT.street.center;

const tok = await token('admin', ADMIN_PASSWORD);
// The city itself serves as the department's area (the administrator's own area is the whole book: '').
const city = (await api(tok, 'GET', '/ogc/collections/areas/items?level=city&limit=1')).features[0].properties.code;
const { categories } = await api(tok, 'GET', '/api/incidents/categories');
const category = categories.flatMap((c) => c.children ?? []).find((c) => c.department);
const department = `bench-overdue-${Date.now()}`;
await hastyDepartment(tok, { code: department, name: '限时测试队', kind: category.department, area: city });
// On a small circle around the centre, so that each is in view and none hides another.
await Promise.all(
  Array.from({ length: N }, (_, i) => {
    const angle = (2 * Math.PI * i) / N;
    const at = { lon: lon + SPREAD * Math.cos(angle), lat: lat + SPREAD * Math.sin(angle) };
    return overdueIncident(tok, { category: category.code, at, department, description: 'bench: 超期' });
  }),
);
process.stderr.write(`bigscreen-bench: ${N} overdue incidents around ${lon},${lat}\n`);
