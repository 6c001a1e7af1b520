// 人员分布 on the big screen: whether the staff come as members or as counts.
//
// A city-wide subscription to the `staff` layer carries every member: 22 MB
// of snapshot at 100,000 staff, 218 MB at a million, which took 5 and 24
// seconds to show as figures. Past a threshold the screen subscribes to
// `staff_cells` instead: the server counts the members per H3 cell by role,
// duty and online (docs/protocol.md, "Staff counted per cell"), a few
// thousand cells whatever the headcount, and sends the cells that changed
// every two seconds. Members come only for a street-sized box, for the
// markers. Small cities keep the members (the search box and the roster
// panel find anyone in them, which counts cannot do).

import type { Api } from '../shared/api';
import type { Duty, StaffCells, StaffRole } from '../shared/types';
import { CLASSES, classOf } from './staffAggregate';
import { countFeatures } from './tileMode';

/** Above this many staff (the login's own, 分级授权) the screen takes counts from the server. */
export const CELLS_THRESHOLD = 25_000;

/** `?staff=cells` forces counts, `?staff=members` members; otherwise the headcount decides. */
export type StaffParam = 'cells' | 'members' | 'auto';

export function staffParam(search: string): StaffParam {
  const v = new URLSearchParams(search).get('staff')?.trim().toLowerCase();
  if (v === 'cells' || v === 'members') return v;
  return 'auto';
}

/** Whether this page takes its staff as counts per cell. An unknown headcount keeps members. */
export async function decideStaffCells(api: Api, search: string): Promise<boolean> {
  const param = staffParam(search);
  if (param !== 'auto') return param === 'cells';
  const n = await countFeatures(api, 'staff');
  return n !== null && n > CELLS_THRESHOLD;
}

/**
 * The server's class numbers (its `roles` and `duties` lists, sent with a
 * snapshot's cells) as this client's (staffAggregate.ts): the two agree on
 * names, not on order, so either may list a role the other does not know.
 */
export class CellLegend {
  private readonly ours: Int16Array;

  constructor(legend: Pick<StaffCells, 'roles' | 'duties'>) {
    const { roles, duties } = legend;
    this.ours = new Int16Array(roles.length * duties.length * 2);
    roles.forEach((role, r) =>
      duties.forEach((duty, d) => {
        for (const off of [0, 1]) this.ours[(r * duties.length + d) * 2 + off] = classOf(role as StaffRole, duty as Duty, off === 1);
      }),
    );
  }

  /** A cell's `[class, members]` pairs as a histogram over this client's classes. */
  hist(counts: readonly (readonly [number, number])[]): Int32Array {
    const h = new Int32Array(CLASSES);
    for (const [k, n] of counts) {
      const ours = this.ours[k];
      if (ours !== undefined && n > 0) h[ours]! += n;
    }
    return h;
  }
}
