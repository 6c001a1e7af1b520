import { afterEach, describe, expect, it } from 'vitest';
import { missingTranslations, setLang } from '../shared/i18n';
import type { AlertKind, SosAlert } from '../shared/types';
import {
  DISMISSED_KEY,
  DismissedIds,
  dismissReminder,
  EMPTY,
  isReminder,
  MAX_REMINDERS,
  mergeReminder,
  REMINDER_KINDS,
  reminderHint,
  reminderKind,
  reminderNote,
  reminderTime,
  type ReminderState,
  reminderTone,
  syncReminders,
} from './reminders';

const ME = 'S1';
const none = new Set<string>();

function alert(id: string, over: Partial<SosAlert> = {}): SosAlert {
  return {
    id,
    kind: 'fence_enter',
    state: 'open',
    staff_id: ME,
    staff_name: '王芳',
    grid: 'G1',
    position: { lon: 120.66, lat: 28.01 },
    duty_before: 'available',
    helpers: [],
    since_ms: 1000,
    raised_ms: 1000,
    updated_ms: 1000,
    version: 1,
    steps: [{ action: 'raised', at_ms: 1000, by: 'riskmap', note: '进入围栏“水库警戒区”' }],
    ...over,
  };
}

/** Merges in order, as pushes arrive; the ids listed after. */
function pushAll(list: SosAlert[], dismissed: ReadonlySet<string> = none, start: ReminderState = EMPTY) {
  let s = start;
  const results: (string | null)[] = [];
  for (const a of list) {
    const r = mergeReminder(s, a, ME, dismissed, 5000);
    s = r.state;
    results.push(r.result);
  }
  return { s, results, ids: s.list.map((r) => r.alert.id) };
}

afterEach(() => setLang('zh'));

describe('which alerts are reminders', () => {
  it('mine, of the rules and zones, not my SOS, not a colleague’s, not an unknown kind', () => {
    for (const k of REMINDER_KINDS) expect(isReminder({ kind: k, staff_id: ME }, ME)).toBe(true);
    expect(isReminder({ kind: 'sos', staff_id: ME }, ME)).toBe(false);
    expect(isReminder({ kind: 'fence_enter', staff_id: 'S2' }, ME)).toBe(false);
    expect(isReminder({ kind: 'flood' as AlertKind, staff_id: ME }, ME)).toBe(false);
    expect(isReminder({ kind: 'fence_enter', staff_id: ME }, null)).toBe(false);
  });
});

describe('merging reminders', () => {
  it('adds new ones at the top, newest first', () => {
    const { ids, results } = pushAll([alert('a', { raised_ms: 1000 }), alert('b', { raised_ms: 3000 }), alert('c', { raised_ms: 2000 })]);
    expect(ids).toEqual(['b', 'c', 'a']);
    expect(results).toEqual(['added', 'added', 'added']);
  });
  it('ignores a repeat (same version) and an older version arriving late; takes a newer one', () => {
    const a1 = alert('a');
    const a2 = alert('a', { state: 'acknowledged', version: 2 });
    const { s, results } = pushAll([a1, a1, a2, a1]);
    expect(results).toEqual(['added', null, 'changed', null]);
    expect(s.list).toHaveLength(1);
    expect(s.list[0]!.alert.state).toBe('acknowledged');
    // When this phone first heard of it is kept through its changes.
    expect(s.list[0]!.seenAt).toBe(5000);
  });
  it('drops a closed one, and a late push of an older version does not bring it back', () => {
    const { ids, results } = pushAll([alert('a'), alert('b'), alert('a', { state: 'closed', version: 3 }), alert('a', { version: 2 })]);
    expect(ids).toEqual(['b']);
    expect(results).toEqual(['added', 'added', 'removed', null]);
  });
  it('a closed one never seen is only remembered', () => {
    const { s, results } = pushAll([alert('x', { state: 'closed', version: 2 }), alert('x')]);
    expect(results).toEqual([null, null]);
    expect(s.list).toEqual([]);
    expect(s.closed).toEqual(['x']);
  });
  it('ignores the SOS and other workers’ alerts', () => {
    const { ids } = pushAll([alert('s', { kind: 'sos' }), alert('o', { staff_id: 'S2' }), alert('m', { kind: 'motionless' })]);
    expect(ids).toEqual(['m']);
  });
  it('keeps at most MAX_REMINDERS, the newest', () => {
    const many = Array.from({ length: MAX_REMINDERS + 5 }, (_, i) => alert(`a${i}`, { raised_ms: 1000 + i }));
    const { ids, results } = pushAll(many);
    expect(ids).toHaveLength(MAX_REMINDERS);
    expect(ids[0]).toBe(`a${MAX_REMINDERS + 4}`);
    expect(ids).not.toContain('a0');
    // An older one arriving when the list is full is not shown (nor buzzed for).
    const late = mergeReminder(pushAll(many).s, alert('old', { raised_ms: 1 }), ME, none, 0);
    expect(late.result).toBeNull();
    expect(results.every((r) => r === 'added')).toBe(true);
  });
  it('does not show a dismissed one, and hides it if it was shown', () => {
    const shown = pushAll([alert('a'), alert('b')]).s;
    const d = new Set(['a']);
    const again = mergeReminder(shown, alert('a', { version: 2 }), ME, d, 0);
    expect(again.result).toBe('removed');
    expect(again.state.list.map((r) => r.alert.id)).toEqual(['b']);
    expect(mergeReminder(EMPTY, alert('a'), ME, d, 0).result).toBeNull();
  });
  it('dismisses locally', () => {
    const s = dismissReminder(pushAll([alert('a'), alert('b')]).s, 'a');
    expect(s.list.map((r) => r.alert.id)).toEqual(['b']);
  });
});

describe('reading the active alerts again', () => {
  it('merges them, and drops those no longer active unless heard of after the request went out', () => {
    const before = pushAll([alert('gone'), alert('kept')]).s; // seenAt 5000
    const late = mergeReminder(before, alert('pushed', { raised_ms: 9000 }), ME, none, 7000).state; // heard at 7000
    const r = syncReminders(late, [alert('kept'), alert('new', { raised_ms: 8000 }), alert('sos', { kind: 'sos' })], ME, none, 6000, 10_000);
    expect(r.state.list.map((x) => x.alert.id)).toEqual(['pushed', 'new', 'kept']);
    expect(r.added).toBe(1);
    expect(r.changed).toBe(true);
    const same = syncReminders(r.state, [alert('kept'), alert('new', { raised_ms: 8000 }), alert('pushed', { raised_ms: 9000 })], ME, none, 20_000, 20_000);
    expect(same.changed).toBe(false);
    expect(same.added).toBe(0);
  });
});

describe('words', () => {
  it('names each kind and says what to do, in Chinese and English', () => {
    expect(reminderKind('not_visited')).toBe('未按时入格');
    expect(reminderKind('place_overdue')).toBe('逾期未检');
    expect(reminderKind('fence_enter')).toBe('进入围栏');
    expect(reminderKind('fence_exit')).toBe('离开围栏');
    expect(reminderKind('risk_zone')).toBe('进入风险源缓冲区');
    expect(reminderKind('left_grid')).toBe('脱岗');
    expect(reminderKind('motionless')).toBe('静止');
    expect(reminderHint('not_visited')).toBe('请尽快入格巡查');
    expect(reminderHint('place_overdue')).toBe('请前往检查并扫场所码');
    for (const k of ['fence_enter', 'fence_exit', 'risk_zone'] as const) expect(reminderHint(k)).toBe('注意安全，如非工作需要请离开该区域');
    for (const k of ['left_grid', 'motionless'] as const) expect(reminderHint(k)).toBe('指挥中心将与你联系');
    setLang('en');
    expect(reminderKind('fence_enter')).toBe('Entered a geofence');
    expect(reminderHint('left_grid')).toBe('The command centre will contact you');
    expect(reminderHint('not_visited')).toBe('Please go to your grid and patrol it soon');
    for (const k of REMINDER_KINDS) {
      expect(reminderKind(k)).not.toMatch(/[\u4e00-\u9fff]/);
      expect(reminderHint(k)).not.toMatch(/[\u4e00-\u9fff]/);
    }
    expect(missingTranslations()).toEqual([]);
  });
  it('tones: zones a safety warning, 脱岗/静止 a call coming, the patrol rules a task', () => {
    expect(reminderTone('risk_zone')).toBe('safety');
    expect(reminderTone('fence_exit')).toBe('safety');
    expect(reminderTone('motionless')).toBe('call');
    expect(reminderTone('place_overdue')).toBe('patrol');
  });
  it('the note is the raised step’s', () => {
    expect(reminderNote(alert('a'))).toBe('进入围栏“水库警戒区”');
    const acked = alert('a', {
      steps: [
        { action: 'raised', at_ms: 1, by: 'riskmap', note: ' 第1网格 09:00 前未入格 ' },
        { action: 'acknowledged', at_ms: 2, by: 'dispatcher', note: '已电话联系' },
      ],
    });
    expect(reminderNote(acked)).toBe('第1网格 09:00 前未入格');
    expect(reminderNote(alert('a', { steps: [] }))).toBe('');
  });
  it('the time: HH:MM today, with the date on another day', () => {
    // In the city's time (China, UTC+8).
    const china = (d: number, h: number, m: number, s = 0) => Date.UTC(2026, 4, d, h, m, s) - 8 * 3_600_000;
    const now = china(6, 15, 30);
    expect(reminderTime(china(6, 9, 5, 59), now)).toBe('09:05');
    expect(reminderTime(china(5, 23, 59), now)).toBe('05-05 23:59');
    // 00:30 in the city is the day before in UTC: still today.
    expect(reminderTime(china(6, 0, 30), now)).toBe('00:30');
  });
});

describe('dismissed ids', () => {
  it('are kept in the store and read back; a broken store is ignored', () => {
    const m = new Map<string, string>();
    const store = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
    const d = new DismissedIds(store);
    d.add('a');
    d.add('a');
    d.add('b');
    expect(JSON.parse(m.get(DISMISSED_KEY)!)).toEqual(['a', 'b']);
    const again = new DismissedIds(store);
    expect(again.has('a') && again.has('b') && !again.has('c')).toBe(true);
    m.set(DISMISSED_KEY, '{not json');
    expect(new DismissedIds(store).set.size).toBe(0);
    const memory = new DismissedIds(null);
    memory.add('x');
    expect(memory.has('x')).toBe(true);
    const refusing = new DismissedIds({ getItem: () => null, setItem: () => { throw new Error('quota'); } });
    refusing.add('y');
    expect(refusing.has('y')).toBe(true);
  });
});

describe('a reminder drawn', () => {
  it('shows the kind, the note (escaped), the time and the hint; × to dismiss; 认领 said for a call', async () => {
    const { reminderHtml } = await import('./remindersView');
    const raised = Date.UTC(2026, 4, 6, 9, 7) - 8 * 3_600_000; // 09:07 in the city
    const html = reminderHtml({ alert: alert('fence_enter-f1.S1-1', { raised_ms: raised, steps: [{ action: 'raised', at_ms: raised, by: 'riskmap', note: '进入围栏 <b>工地</b>' }] }), seenAt: 0 }, raised, true);
    expect(html).toContain('data-kind="fence_enter"');
    expect(html).toContain('data-alert="fence_enter-f1.S1-1"');
    expect(html).toContain('>进入围栏</b>');
    expect(html).toContain('进入围栏 &lt;b&gt;工地&lt;/b&gt;');
    expect(html).toContain('>09:07</time>');
    expect(html).toContain('注意安全，如非工作需要请离开该区域');
    expect(html).toContain('data-dismiss="fence_enter-f1.S1-1"');
    expect(html).toContain('class="reminder tone-safety new"');
    expect(html).not.toContain('指挥中心已认领');
    const call = reminderHtml({ alert: alert('m', { kind: 'motionless', state: 'acknowledged', version: 2 }), seenAt: 0 }, 1000, false);
    expect(call).toContain('指挥中心将与你联系');
    expect(call).toContain('指挥中心已认领');
  });
});
