import { describe, expect, it } from 'vitest';
import { t } from '../shared/i18n';
import type { Incident } from '../shared/types';
import { dutyButton, dutyRequest, POSITION_MAX_AGE_MS } from './duty';
import { FixSharer, MAX_PENDING } from './fixSharer';
import { fieldActions, isActiveTask, mergeTask } from './tasks';

const reading = (t: number, lon = 120.66) => ({ lon, lat: 28.01, t, accuracy: 5, speed: null, heading: null });

describe('the location card', () => {
  it('labels its figures as labels in both languages', () => {
    // 'acknowledged' in lower case stood beside Accuracy and Last fix: the alerts' state word, not a label.
    for (const key of ['field.accuracy', 'field.last_fix', 'field.acked']) {
      expect(t(key, 'en')).toMatch(/^[A-Z]/);
      expect(t(key, 'zh')).not.toBe(key);
    }
    expect(t('field.acked', 'en')).toBe('Received');
  });
});

describe('fix sharing', () => {
  it('sends at most one fix per interval, the newest reading', () => {
    const s = new FixSharer(10_000);
    s.read(reading(1000));
    expect(s.due(1000)).toEqual([{ lon: 120.66, lat: 28.01, t: 1000, accuracy: 5 }]);
    s.read(reading(2000, 120.661));
    expect(s.due(2000)).toEqual([]);
    s.read(reading(9000, 120.662));
    s.read(reading(8000, 120.7)); // older reading arriving late is ignored
    expect(s.due(11_000).map((f) => f.lon)).toEqual([120.662]);
    expect(s.due(30_000)).toEqual([]); // nothing new to send
  });
  it('keeps undelivered fixes for the next batch, bounded', () => {
    const s = new FixSharer(0);
    s.read(reading(1));
    const first = s.due(1);
    s.requeue(first);
    s.read(reading(2));
    expect(s.due(2).map((f) => f.t)).toEqual([1, 2]);
    s.requeue(Array.from({ length: MAX_PENDING + 10 }, (_, i) => ({ lon: 0, lat: 0, t: i })));
    expect(s.pendingCount).toBe(MAX_PENDING);
  });
});

const task = (over: Partial<Incident>): Incident => ({
  id: 'SJ1', category: '0102', source: 'patrol', priority: 'normal', lon: 0, lat: 0, grid: 'G', area: 'G',
  description: '', state: 'dispatched', assignee_staff: 'S1', created_ms: 0, updated_ms: 0, warning: 'green', version: 1, ...over,
});

describe('field tasks', () => {
  it('offers sign, start and handle by state', () => {
    expect(fieldActions('dispatched')).toEqual(['sign']);
    expect(fieldActions('signed')).toEqual(['start', 'handle']);
    expect(fieldActions('in_progress')).toEqual(['handle']);
    expect(fieldActions('handled')).toEqual([]);
  });
  it('keeps only my open tasks, newest version, most urgent first', () => {
    let list: Incident[] = [];
    list = mergeTask(list, task({ id: 'A' }), 'S1');
    list = mergeTask(list, task({ id: 'B', priority: 'emergency' }), 'S1');
    list = mergeTask(list, task({ id: 'C', assignee_staff: 'S2' }), 'S1');
    expect(list.map((i) => i.id)).toEqual(['B', 'A']);
    list = mergeTask(list, task({ id: 'A', version: 3, state: 'signed' }), 'S1');
    list = mergeTask(list, task({ id: 'A', version: 2, state: 'dispatched' }), 'S1');
    expect(list.find((i) => i.id === 'A')?.state).toBe('signed');
    list = mergeTask(list, task({ id: 'B', version: 5, state: 'handled' }), 'S1');
    expect(list.map((i) => i.id)).toEqual(['A']);
    expect(isActiveTask(task({}), null)).toBe(false);
  });
});

describe('上岗/下岗', () => {
  it('offers check-in when off duty, check-out when on duty, nothing while a task or an SOS owns the status', () => {
    expect(dutyButton('off')).toBe('available');
    expect(dutyButton('available')).toBe('off');
    expect(dutyButton('busy')).toBeNull();
    expect(dutyButton('sos')).toBeNull();
    expect(dutyButton(null)).toBeNull();
  });
  it('sends where the phone stands only when that reading is recent', () => {
    const now = 1_000_000;
    const r = { lon: 120.66, lat: 28.01, t: now - 5000, accuracy: 7 };
    expect(dutyRequest('available', r, now)).toEqual({ duty: 'available', position: { lon: 120.66, lat: 28.01, t: now - 5000, accuracy: 7 } });
    expect(dutyRequest('off', { ...r, accuracy: null }, now)).toEqual({ duty: 'off', position: { lon: 120.66, lat: 28.01, t: now - 5000 } });
    expect(dutyRequest('available', { ...r, t: now - POSITION_MAX_AGE_MS - 1 }, now)).toEqual({ duty: 'available' });
    expect(dutyRequest('off', null, now)).toEqual({ duty: 'off' });
  });
});
