// The timeline of a report as a citizen reads it: the steps it went through,
// with their times, then the usual steps still to come (greyed), unless it
// has ended (closed, not accepted, merged into another).

import type { ReportView, Status, Step } from './publicApi';
import { rt } from './strings';

/** The usual way of a report, from sending to closing. */
export const FLOW: Step[] = ['received', 'accepted', 'dispatched', 'handling', 'handled', 'closed'];
// A rating comes after the close: nothing is still to come.
const ENDS: Step[] = ['closed', 'rejected', 'merged', 'rated'];

export interface TimelineRow {
  step: Step;
  /** null: still to come. */
  at_ms: number | null;
  /** The newest step taken (where the report stands). */
  current: boolean;
}

export function timelineRows(view: Pick<ReportView, 'timeline'>): TimelineRow[] {
  const done = [...view.timeline].sort((a, b) => a.at_ms - b.at_ms);
  const rows: TimelineRow[] = done.map((s, i) => ({ step: s.step, at_ms: s.at_ms, current: i === done.length - 1 }));
  const last = done[done.length - 1]?.step;
  if (last && ENDS.includes(last)) return rows;
  // Still to come: the usual steps after the furthest one reached (a report
  // sent back for more work goes through a step twice; the furthest counts).
  const furthest = Math.max(-1, ...done.map((s) => FLOW.indexOf(s.step)));
  for (const step of FLOW.slice(furthest + 1)) rows.push({ step, at_ms: null, current: false });
  return rows;
}

export const stepLabel = (s: Step) => rt(`step.${s}`);
export const statusLabel = (s: Status) => rt(`state.${s}`);
