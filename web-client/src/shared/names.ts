// Names people read, in the page's language, with the code kept for hover.

import { esc } from './format';
import { lang } from './i18n';
import type { Incident } from './types';

/** An incident's category in the page's language (the code if the server sent no name). */
export function categoryName(i: Pick<Incident, 'category' | 'category_name' | 'category_name_en'>): string {
  if (lang() === 'en' && i.category_name_en) return i.category_name_en;
  return i.category_name ?? i.category;
}

/** A name with its code on hover; the code alone when there is no name. */
export function named(name: string | null | undefined, code: string | null | undefined): string {
  if (!code) return esc(name ?? '—');
  if (!name) return `<span class="code">${esc(code)}</span>`;
  return `<span title="${esc(code)}" data-code="${esc(code)}">${esc(name)}</span>`;
}
