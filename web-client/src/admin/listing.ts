// One admin tab's list of what the server holds (电子围栏, 排班): the load's
// error with the server's detail, "loading", or the rows the filter keeps —
// at most a page of them, the count saying how many there are.

import { errorWithDetail } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import { fill } from './dialog';

export interface Listing<T> {
  /** The labels' and test ids' prefix: `fence` reads `fence.loading`, `fence.count` … and names `fence-load-error`, `fence-none`. */
  key: 'fence' | 'roster';
  /** Every row read, null while loading. */
  all: readonly T[] | null;
  /** Why the load failed, if it did. */
  error: unknown;
  /** The rows the filter keeps, of `all`. */
  shown: (all: readonly T[]) => readonly T[];
  /** The table of these rows. */
  table: (rows: readonly T[]) => string;
  /** The most rows shown at once. */
  maxRows: number;
}

/** Fills the list's element and its count. */
export function renderListing<T>(el: HTMLElement, count: HTMLElement, l: Listing<T>): void {
  const { key } = l;
  if (l.error) {
    count.textContent = '';
    el.innerHTML = `<p class="error" role="alert" data-testid="${key}-load-error">${esc(errorWithDetail(l.error, key))}</p>`;
    return;
  }
  if (!l.all) {
    el.innerHTML = `<p class="empty">${esc(t(`${key}.loading`))}</p>`;
    return;
  }
  const shown = l.shown(l.all);
  count.textContent = shown.length > l.maxRows ? fill(`${key}.count_some`, { shown: l.maxRows, n: shown.length }) : fill(`${key}.count`, { n: shown.length });
  count.dataset.n = String(l.all.length);
  el.innerHTML = shown.length
    ? l.table(shown.slice(0, l.maxRows))
    : `<p class="empty" data-testid="${key}-none">${esc(t(l.all.length ? `${key}.none_match` : `${key}.none`))}</p>`;
}
