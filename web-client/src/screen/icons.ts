// Icons drawn on a canvas at start-up (no sprite files to serve): an arrow for
// a staff member's heading, tinted per duty status through SDF.

import type { Map as MapLibreMap } from 'maplibre-gl';

export function addHeadingArrow(map: MapLibreMap): void {
  const size = 32;
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = size;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.beginPath();
  ctx.moveTo(size / 2, 2);
  ctx.lineTo(size - 6, size - 4);
  ctx.lineTo(size / 2, size - 11);
  ctx.lineTo(6, size - 4);
  ctx.closePath();
  ctx.fill();
  const img = ctx.getImageData(0, 0, size, size);
  map.addImage('heading-arrow', { width: size, height: size, data: new Uint8Array(img.data.buffer) }, { sdf: true, pixelRatio: 2 });
}
