// 导航 — handing a task's place to the phone's map app. Gaode (高德) and
// Tencent (腾讯) take GCJ-02 coordinates, Baidu (百度) BD-09; the server and
// the browser's Geolocation speak WGS84, so each link gets its own datum.

import type { Position } from '../shared/geo';

const A = 6378245.0;
const EE = 0.006693421622965943;

/** Outside mainland China the Chinese datums are WGS84 itself. */
function outOfChina([lon, lat]: Position): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271;
}

function dLat(x: number, y: number): number {
  let r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return r;
}

function dLon(x: number, y: number): number {
  let r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  r += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  r += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  r += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return r;
}

/** WGS84 → GCJ-02 (国测局坐标, the published obfuscation formula). */
export function wgs84ToGcj02(p: Position): Position {
  if (outOfChina(p)) return p;
  const [lon, lat] = p;
  const radLat = (lat / 180.0) * Math.PI;
  let magic = Math.sin(radLat);
  magic = 1 - EE * magic * magic;
  const sqrtMagic = Math.sqrt(magic);
  const dy = (dLat(lon - 105.0, lat - 35.0) * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dx = (dLon(lon - 105.0, lat - 35.0) * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [lon + dx, lat + dy];
}

/** GCJ-02 → BD-09 (Baidu's datum). */
export function gcj02ToBd09([lon, lat]: Position): Position {
  const xPi = (Math.PI * 3000.0) / 180.0;
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * xPi);
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * xPi);
  return [z * Math.cos(theta) + 0.0065, z * Math.sin(theta) + 0.006];
}

export interface NavLink {
  /** Which app: `geo` (the system's choice), `amap`, `baidu`, `qq`. */
  app: 'geo' | 'amap' | 'baidu' | 'qq';
  href: string;
}

const f6 = (n: number) => n.toFixed(6);

/** Walking directions to a WGS84 point, for each app, in the datum it expects. */
export function navLinks(to: Position, name: string): NavLink[] {
  const label = encodeURIComponent(name);
  const [glon, glat] = wgs84ToGcj02(to);
  const [blon, blat] = gcj02ToBd09([glon, glat]);
  return [
    { app: 'geo', href: `geo:${f6(to[1])},${f6(to[0])}?q=${f6(to[1])},${f6(to[0])}(${label})` },
    {
      app: 'amap',
      href: `amapuri://route/plan/?sourceApplication=riskmap&dlat=${f6(glat)}&dlon=${f6(glon)}&dname=${label}&dev=0&t=2`,
    },
    {
      app: 'baidu',
      href: `baidumap://map/direction?destination=${encodeURIComponent(`latlng:${f6(blat)},${f6(blon)}|name:${name}`)}&coord_type=bd09ll&mode=walking&src=riskmap`,
    },
    { app: 'qq', href: `qqmap://map/routeplan?type=walk&to=${label}&tocoord=${f6(glat)},${f6(glon)}&referer=riskmap` },
  ];
}
