import { describe, expect, it } from 'vitest';
import { AlertBook, alarmShouldSound, isRule, isShown, KEEP_CLOSED_MS, lastStep, raisedNote, SHOWN_KINDS, shownOnly, soundsAlarm, sosOnly } from './alertBook';
import type { SosAlert } from './types';

const sos = (over: Partial<SosAlert>): SosAlert => ({
  id: 'sos-S1-1000', kind: 'sos', state: 'open', staff_id: 'S1', staff_name: '王芳', grid: 'G1',
  position: { lon: 120.66, lat: 28.01 }, duty_before: 'available', helpers: [], raised_ms: 1000, updated_ms: 1000,
  steps: [{ action: 'raised', at_ms: 1000, by: 'field', note: '被围堵' }], version: 1, ...over,
});

describe('the alert book', () => {
  it('keeps the newest version: a repeat or a late older push changes nothing', () => {
    const b = new AlertBook();
    expect(b.apply(sos({}))).toBe(true);
    expect(b.apply(sos({}))).toBe(false); // the 5-second repeat
    expect(b.apply(sos({ state: 'acknowledged', version: 2 }))).toBe(true);
    expect(b.apply(sos({ state: 'open', version: 1 }))).toBe(false); // late
    expect(b.get('sos-S1-1000')?.state).toBe('acknowledged');
  });
  it('lists the running ones, open first, newest first; closed ones leave and stay gone', () => {
    const b = new AlertBook();
    b.applyAll([
      sos({ id: 'a', raised_ms: 1, state: 'acknowledged', version: 2 }),
      sos({ id: 'b', raised_ms: 2 }),
      sos({ id: 'c', raised_ms: 3 }),
    ]);
    expect(b.active().map((a) => a.id)).toEqual(['c', 'b', 'a']);
    b.apply(sos({ id: 'c', raised_ms: 3, state: 'closed', version: 3 }));
    expect(b.active().map((a) => a.id)).toEqual(['b', 'a']);
    b.apply(sos({ id: 'c', raised_ms: 3, version: 1 })); // an older open push arriving late
    expect(b.active().map((a) => a.id)).toEqual(['b', 'a']);
  });
  it("finds a member's newest alert and forgets closed ones after a day", () => {
    const b = new AlertBook();
    b.apply(sos({ id: 'old', raised_ms: 10, state: 'closed', updated_ms: 20, version: 2 }));
    b.apply(sos({ id: 'new', raised_ms: 30 }));
    b.apply(sos({ id: 'other', staff_id: 'S2', raised_ms: 40 }));
    expect(b.latestOf('S1')?.id).toBe('new');
    expect(b.latestOf('S3')).toBeNull();
    b.prune(20 + KEEP_CLOSED_MS + 1);
    expect(b.get('old')).toBeUndefined();
    expect(b.get('new')).toBeDefined();
  });
  it('sounds the alarm while any alert is open, not once all are taken', () => {
    expect(alarmShouldSound([])).toBe(false);
    expect(alarmShouldSound([sos({ state: 'acknowledged' })])).toBe(false);
    expect(alarmShouldSound([sos({ state: 'acknowledged' }), sos({ id: 'x' })])).toBe(true);
  });
  it('sounds for an open SOS or 静止 (a possible fall), never for 脱岗 alone', () => {
    expect(soundsAlarm('sos')).toBe(true);
    expect(soundsAlarm('motionless')).toBe(true);
    expect(soundsAlarm('left_grid')).toBe(false);
    // The patrol rules' alerts are shown, amber, without the alarm.
    expect(soundsAlarm('not_visited') || soundsAlarm('place_overdue')).toBe(false);
    expect(isShown(sos({ kind: 'not_visited' })) && isShown(sos({ kind: 'place_overdue' }))).toBe(true);
    expect(alarmShouldSound([sos({ kind: 'left_grid' })])).toBe(false);
    expect(alarmShouldSound([sos({ kind: 'motionless' })])).toBe(true);
    expect(alarmShouldSound([sos({ kind: 'motionless', state: 'acknowledged' }), sos({ kind: 'left_grid', id: 'y' })])).toBe(false);
    expect(alarmShouldSound([sos({ kind: 'left_grid' }), sos({ id: 'x' })])).toBe(true);
  });
  it('shows the zones crossed (进入围栏, 离开围栏, 进入风险源缓冲区) without the alarm', () => {
    for (const kind of ['fence_enter', 'fence_exit', 'risk_zone'] as const) {
      expect(SHOWN_KINDS).toContain(kind);
      expect(isShown(sos({ kind }))).toBe(true);
      expect(isRule({ kind })).toBe(true);
      expect(soundsAlarm(kind)).toBe(false);
      expect(alarmShouldSound([sos({ kind })])).toBe(false);
      expect(sosOnly([sos({ kind })])).toEqual([]);
    }
    // Beside an open SOS the alarm still sounds; the SOS is listed first.
    const b = new AlertBook();
    b.applyAll([sos({ id: 'zone', kind: 'risk_zone', raised_ms: 9 }), sos({ id: 'fence', kind: 'fence_enter', raised_ms: 8 }), sos({ id: 'help', raised_ms: 1 })]);
    expect(b.active().map((a) => a.id)).toEqual(['help', 'zone', 'fence']);
    expect(alarmShouldSound(b.active())).toBe(true);
  });
  it('lists an open alarm before an open 脱岗, and both before the taken ones', () => {
    const b = new AlertBook();
    b.applyAll([
      sos({ id: 'taken', raised_ms: 9, state: 'acknowledged' }),
      sos({ id: 'out', kind: 'left_grid', raised_ms: 8 }),
      sos({ id: 'still', kind: 'motionless', raised_ms: 1 }),
    ]);
    expect(b.active().map((a) => a.id)).toEqual(['still', 'out', 'taken']);
  });
  it('shows the kinds it knows on the big screen; the field page keeps the SOS only', () => {
    const list = [sos({}), sos({ id: 'r', kind: 'left_grid' }), sos({ id: 'm', kind: 'motionless' }), { ...sos({ id: 'n' }), kind: 'new_rule' } as unknown as SosAlert];
    expect(shownOnly(list).map((a) => a.id)).toEqual(['sos-S1-1000', 'r', 'm']);
    expect(isShown(list[3]!)).toBe(false);
    expect(sosOnly(list).map((a) => a.id)).toEqual(['sos-S1-1000']);
    expect(isRule({ kind: 'motionless' })).toBe(true);
    expect(isRule({ kind: 'sos' })).toBe(false);
  });
  it('reads who took it and what the worker said', () => {
    const a = sos({
      state: 'acknowledged',
      steps: [
        { action: 'raised', at_ms: 1, by: 'field', note: '被围堵' },
        { action: 'acknowledged', at_ms: 2, by: 'dispatcher' },
      ],
    });
    expect(lastStep(a, ['acknowledged'])?.by).toBe('dispatcher');
    expect(lastStep(a, ['cancelled', 'closed'])).toBeNull();
    expect(raisedNote(a)).toBe('被围堵');
  });
});

describe('other kinds of alert', () => {
  it('are left out: these pages show the SOS only', () => {
    const other = { ...sos({ id: 'left_grid-S1-5' }), kind: 'left_grid' } as unknown as SosAlert;
    expect(sosOnly([sos({}), other]).map((a) => a.id)).toEqual(['sos-S1-1000']);
  });
});
