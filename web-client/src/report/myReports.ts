// 我的上报: the tracking codes this browser sent, newest first, so a citizen
// finds them again without writing them down. Kept in localStorage only.

export interface MyReport {
  code: string;
  at_ms: number;
  /** The category's code, and its names as they were when sent (the list may change). */
  category: string;
  name?: string;
  name_en?: string | null;
}

const KEY = 'riskmap.report.mine';
/** Enough for anyone's recent reports; older ones drop off. */
export const KEEP = 20;

/** The list with `r` put first (once), at most KEEP long. */
export function remember(list: MyReport[], r: MyReport): MyReport[] {
  return [r, ...list.filter((x) => x.code !== r.code)].slice(0, KEEP);
}

export function loadMine(storage: Pick<Storage, 'getItem'> | null = globalThis.localStorage ?? null): MyReport[] {
  try {
    const v = JSON.parse(storage?.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is MyReport => typeof x?.code === 'string' && typeof x?.at_ms === 'number') : [];
  } catch {
    return [];
  }
}

export function saveMine(list: MyReport[], storage: Pick<Storage, 'setItem'> | null = globalThis.localStorage ?? null): void {
  try {
    storage?.setItem(KEY, JSON.stringify(list));
  } catch {
    // private mode: the list lasts the page
  }
}
