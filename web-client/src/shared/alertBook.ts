// The workers' alerts a page knows (一键求助, and the rules' 脱岗 and 静止),
// from REST, snapshots and /ws pushes.
// The newest version wins: a repeat (same version) or an older push arriving
// late changes nothing. A closed alert leaves the active list, but it is kept
// (for a day) so that a late push of an older version cannot bring it back.

import type { AlertKind, AlertStep, SosAlert } from './types';

/** Closed alerts older than this are forgotten (the server keeps the last day's too). */
export const KEEP_CLOSED_MS = 24 * 3600_000;

export class AlertBook {
  private readonly byId = new Map<string, SosAlert>();

  /** Merges one alert; true if it was new or newer than what the book held. */
  apply(a: SosAlert): boolean {
    const old = this.byId.get(a.id);
    if (old && old.version >= a.version) return false;
    this.byId.set(a.id, a);
    return true;
  }

  /** Merges many; true if any changed. */
  applyAll(list: readonly SosAlert[]): boolean {
    let changed = false;
    for (const a of list) changed = this.apply(a) || changed;
    return changed;
  }

  get(id: string): SosAlert | undefined {
    return this.byId.get(id);
  }

  /** The running ones: open first (nobody has taken them), then acknowledged; newest first within each. */
  active(): SosAlert[] {
    return [...this.byId.values()]
      .filter((a) => a.state !== 'closed')
      .sort((a, b) => rank(a) - rank(b) || b.raised_ms - a.raised_ms);
  }

  /** A staff member's newest alert, running or over (the field page's own). */
  latestOf(staffId: string): SosAlert | null {
    let best: SosAlert | null = null;
    for (const a of this.byId.values()) {
      if (a.staff_id === staffId && (!best || a.raised_ms > best.raised_ms)) best = a;
    }
    return best;
  }

  /** Forgets closed alerts that ended before `now - KEEP_CLOSED_MS`. */
  prune(now: number): void {
    for (const [id, a] of this.byId) if (a.state === 'closed' && a.updated_ms < now - KEEP_CLOSED_MS) this.byId.delete(id);
  }
}

/** The SOS among alerts: the field page shows its worker's own SOS only. */
export const isSos = (a: SosAlert): boolean => (a.kind as string) === 'sos';

export const sosOnly = (list: readonly SosAlert[]): SosAlert[] => list.filter(isSos);

/**
 * The kinds the big screen shows: the SOS, the track rules' (脱岗, 静止), the
 * patrol rules' and the zones crossed (进入围栏, 离开围栏, 进入风险源缓冲区).
 */
export const SHOWN_KINDS: readonly AlertKind[] = [
  'sos',
  'left_grid',
  'motionless',
  'not_visited',
  'place_overdue',
  'fence_enter',
  'fence_exit',
  'risk_zone',
];

/** Whether the big screen shows it (a kind a newer server adds is left out, not misdrawn). */
export const isShown = (a: SosAlert): boolean => SHOWN_KINDS.includes(a.kind);

export const shownOnly = (list: readonly SosAlert[]): SosAlert[] => list.filter(isShown);

/** A rule's alert (raised by the server from the track), not the worker's own call. */
export const isRule = (a: Pick<SosAlert, 'kind'>): boolean => a.kind !== 'sos';

/**
 * The kinds that sound the alarm while open: a worker's SOS, and 静止 (a
 * possible fall is a safety alarm). 脱岗, the patrol rules' and the zones
 * crossed (围栏, 风险源缓冲区) are shown only: nobody is known to be in danger.
 */
export const soundsAlarm = (kind: AlertKind): boolean => kind === 'sos' || kind === 'motionless';

// Open ones first, those that sound before those that do not; then the taken ones.
const rank = (a: SosAlert) => (a.state === 'open' ? (soundsAlarm(a.kind) ? 0 : 1) : 2);

/** The alarm sounds while any alert of a sounding kind is open: nobody has taken it yet. */
export function alarmShouldSound(active: readonly SosAlert[]): boolean {
  return active.some((a) => a.state === 'open' && soundsAlarm(a.kind));
}

/** The last step of one of these kinds (who took it, who ended it), if any. */
export function lastStep(a: SosAlert, actions: readonly AlertStep['action'][]): AlertStep | null {
  for (let i = a.steps.length - 1; i >= 0; i--) if (actions.includes(a.steps[i]!.action)) return a.steps[i]!;
  return null;
}

/** What the worker said when raising it. */
export function raisedNote(a: SosAlert): string {
  return a.steps.find((s) => s.action === 'raised')?.note ?? '';
}
