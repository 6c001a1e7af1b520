import { describe, expect, it } from 'vitest';
import { Api } from '../shared/api';
import { setLang } from '../shared/i18n';
import type { Incident } from '../shared/types';
import { fitWithin, MAX_UPLOAD_BYTES, needsShrink, PhotoPicks } from './photoPicks';
import { taskCard } from './taskCard';

const task = (over: Partial<Incident>): Incident => ({
  id: 'SJ1', category: '0102', source: 'patrol', priority: 'normal', lon: 120.6, lat: 28, grid: 'G', area: 'G',
  description: '', state: 'signed', assignee_staff: 'S1', created_ms: 0, updated_ms: 0, warning: 'green', version: 1, ...over,
});

describe('处置前/处置后 photos', () => {
  it('remakes only photos over the limit or of a type the server refuses', () => {
    expect(needsShrink(3_000_000, 'image/jpeg')).toBe(false);
    expect(needsShrink(MAX_UPLOAD_BYTES + 1, 'image/jpeg')).toBe(true);
    expect(needsShrink(1000, 'image/heic')).toBe(true);
    expect(needsShrink(1000, 'image/webp')).toBe(false);
  });
  it('fits the longer side within the limit, never enlarging', () => {
    expect(fitWithin(4000, 3000)).toEqual([2560, 1920]);
    expect(fitWithin(3000, 6000, 1000)).toEqual([500, 1000]);
    expect(fitWithin(800, 600)).toEqual([800, 600]);
  });
  it('offers a camera input for start and for handle on the card', () => {
    setLang('zh');
    const picks = new PhotoPicks(new Api(), () => undefined);
    const ctx = { me: null, outline: null, draft: '', highlight: false, picks: (p: 'start' | 'handle') => picks.html('SJ1', p) };
    const signed = taskCard(task({}), ctx);
    expect(signed).toContain('data-testid="photo-input-start"');
    expect(signed).toContain('data-testid="photo-input-handle"');
    expect(signed).toMatch(/type="file" accept="image\/\*" capture="environment" multiple/);
    expect(signed).toContain('处置前照片');
    const working = taskCard(task({ state: 'in_progress' }), ctx);
    expect(working).not.toContain('photo-input-start');
    expect(working).toContain('处置后照片');
    expect(taskCard(task({ state: 'dispatched' }), ctx)).not.toContain('photo-input');
  });
  it("shows the report's photos on the card", () => {
    const id = 'c'.repeat(64);
    expect(taskCard(task({ photos: [id] }), { me: null, outline: null, draft: '', highlight: false })).toContain('data-photos="task-SJ1"');
    expect(taskCard(task({}), { me: null, outline: null, draft: '', highlight: false })).not.toContain('data-photos');
  });
});
