import { describe, expect, it } from 'vitest';
import type { CameraInfo } from '../shared/types';
import { CameraBook } from './cameraHealth';
import { cameraPoints } from './layersData';

/** Two cameras as the OGC collection returns them. */
function loaded(): CameraBook {
  const book = new CameraBook();
  book.load(
    cameraPoints([
      { type: 'Feature', geometry: { type: 'Point', coordinates: [120.6, 28.0] }, properties: { id: 'C1', name: '路口', online: true, heading_deg: 90, fov_deg: 60, range_m: 80, owner: '公安', stream_url: 'http://gw/C1.m3u8' } },
      { type: 'Feature', geometry: { type: 'Point', coordinates: [120.7, 28.1] }, properties: { id: 'C2', name: '桥头', online: false, owner: '城管' } },
    ]),
  );
  return book;
}

const pushed = (over: Partial<CameraInfo> = {}): CameraInfo => ({
  id: 'C1', name: '路口', lon: 120.6, lat: 28.0, heading: 90, fov: 60, range_m: 80, online: true, owner: '公安', stream_url: 'http://gw/C1.m3u8', ...over,
});

describe('camera health (camera_update)', () => {
  it('counts the offline cameras of the layer as loaded', () => {
    expect(loaded().counts()).toEqual({ total: 2, offline: 1 });
  });

  it('a camera going offline recolours it and its cone, in place', () => {
    const book = loaded();
    expect(book.apply(pushed({ online: false }))).toBe(true);
    expect(book.data.features[0]!.properties!.online).toBe(false);
    expect(book.points[0]).toMatchObject({ id: 'C1', online: false, heading: 90, fov: 60, range_m: 80 });
    expect(book.counts()).toEqual({ total: 2, offline: 2 });
    expect(book.apply(pushed({ online: true }))).toBe(true);
    expect(book.counts()).toEqual({ total: 2, offline: 1 });
  });

  it('an update that changes nothing asks for no redraw', () => {
    expect(loaded().apply(pushed())).toBe(false);
  });

  it('a camera not loaded yet is added', () => {
    const book = loaded();
    expect(book.apply(pushed({ id: 'C3', lon: 120.8, lat: 28.2, online: false, stream_url: null }))).toBe(true);
    expect(book.counts()).toEqual({ total: 3, offline: 2 });
    expect(book.data.features[2]!.geometry.coordinates).toEqual([120.8, 28.2]);
    expect(book.data.features[2]!.properties!.stream_url).toBe('');
    // Later pushes for it update the same entry.
    book.apply(pushed({ id: 'C3', lon: 120.8, lat: 28.2, online: true }));
    expect(book.counts()).toEqual({ total: 3, offline: 1 });
  });

  it('a snapshot marks the cameras it lists down, and those it covers and leaves out up', () => {
    const book = loaded();
    // C1 listed: down. C2 (down) is not covered: it stays down.
    expect(book.applyOffline(['C1'], (p) => p.id === 'C1')).toBe(true);
    expect(book.counts()).toEqual({ total: 2, offline: 2 });
    // Nothing listed, both covered: both up again.
    expect(book.applyOffline([], () => true)).toBe(true);
    expect(book.counts()).toEqual({ total: 2, offline: 0 });
    expect(book.data.features.every((f) => f.properties!.online === true)).toBe(true);
    expect(book.applyOffline([], () => true)).toBe(false);
  });

  it('a push that comes while the layer loads is not undone by the load', () => {
    const book = loaded();
    book.loading();
    // The probe finds C1 dead and C2 back while the pages are still coming;
    // the pages were cut before (C1 online, C2 offline).
    book.apply(pushed({ online: false }));
    book.applyOffline([], (p) => p.id === 'C2');
    const pages = loaded().data;
    book.load(pages);
    expect(book.points.map((p) => [p.id, p.online])).toEqual([['C1', false], ['C2', true]]);
    expect(book.data.features[0]!.properties!.online).toBe(false);
    // Once loaded, pushes are no longer kept for a replay.
    book.apply(pushed({ online: true }));
    book.load(loaded().data);
    expect(book.points[0]!.online).toBe(true);
  });

  it('a failed load keeps nothing to replay', () => {
    const book = loaded();
    book.loading();
    book.loadFailed();
    book.apply(pushed({ online: false }));
    book.load(loaded().data);
    expect(book.points[0]!.online).toBe(true);
  });
});
