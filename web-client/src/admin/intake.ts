// 接入 (issue 16): the intake sources' form checked before sending — the
// name (it is the address /api/intake/{name}), the kind, the category mapping
// typed as lines `external=minor`, the default category, the callback URL and
// an optional secret — and the mapping written back as lines for editing.

import { type Lang, lang } from '../shared/i18n';
import type { CategoryNode, IntakeKind, IntakeSource } from '../shared/types';

export const INTAKE_KINDS: readonly IntakeKind[] = ['hotline', 'camera', 'platform', 'alerts'];
export const DELIVERY_STATES = ['failed', 'pending', 'delivered'] as const;

/** A source's name: it goes into the address, so letters, digits, _ and - only. */
export const SOURCE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** The shortest secret accepted when one is typed (an HMAC key guessed is a forged ticket). */
export const MIN_SECRET = 16;

/** What is wrong, as a label key and its values (the form says them with `fill`). */
export interface Problem {
  key: string;
  values: Record<string, string | number>;
}

const problem = (key: string, values: Record<string, string | number> = {}): Problem => ({ key, values });

/** The minor categories of the dictionary, code → name in the page's language (the codes a mapping may point to). */
export function minorCategories(tree: readonly CategoryNode[], l: Lang = lang()): Map<string, string> {
  const out = new Map<string, string>();
  for (const major of tree) for (const c of major.children ?? []) out.set(c.code, l === 'en' && c.name_en ? c.name_en : c.name);
  return out;
}

/**
 * The mapping typed as lines `external=minor` (also `external = minor`, or
 * with a full-width ＝); blank lines and lines starting with # are skipped.
 * Each problem names its line. Without `known` (no dictionary) any code passes.
 */
export function parseCategoryMap(text: string, known: ReadonlyMap<string, string> | null): { map: Record<string, string>; problems: Problem[] } {
  const map: Record<string, string> = {};
  const problems: Problem[] = [];
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const at = line.search(/[=＝]/);
    const ext = at < 0 ? '' : line.slice(0, at).trim();
    const minor = at < 0 ? '' : line.slice(at + 1).trim();
    if (at < 0 || !ext || !minor) problems.push(problem('intake.map_line', { n: n + 1, line }));
    else if (Object.hasOwn(map, ext)) problems.push(problem('intake.map_twice', { n: n + 1, ext }));
    else if (known && !known.has(minor)) problems.push(problem('intake.map_unknown', { n: n + 1, code: minor }));
    else map[ext] = minor;
  });
  return { map, problems };
}

/** The mapping as the form's lines, sorted by the external code. */
export function formatCategoryMap(map: Record<string, string>): string {
  return Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ext, minor]) => `${ext}=${minor}`)
    .join('\n');
}

export interface SourceForm {
  name: string;
  title: string;
  kind: string;
  categories: string;
  default_category: string;
  callback_url: string;
  secret: string;
}

/**
 * A callback address: http:// with a host, at most 2,000 characters. The
 * server posts callbacks over plain HTTP only (a TLS proxy in front of the
 * external system takes https): an https:// address is refused there, so here.
 */
export function validUrl(s: string): boolean {
  if (s.length > 2000 || !s.startsWith('http://')) return false;
  try {
    return !!new URL(s).hostname;
  } catch {
    return false;
  }
}

/** The source to send, or every problem of the form. */
export function sourceFromForm(v: SourceForm, known: ReadonlyMap<string, string> | null): { source: IntakeSource & { secret?: string } } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const name = v.name.trim();
  const title = v.title.trim();
  if (!SOURCE_NAME.test(name)) problems.push(problem('intake.bad_name'));
  if (!title) problems.push(problem('intake.no_title'));
  if (!(INTAKE_KINDS as readonly string[]).includes(v.kind)) problems.push(problem('intake.bad_kind'));
  const parsed = parseCategoryMap(v.categories, known);
  problems.push(...parsed.problems);
  const def = v.default_category.trim();
  if (def && known && !known.has(def)) problems.push(problem('intake.default_unknown', { code: def }));
  if (!def && Object.keys(parsed.map).length === 0 && parsed.problems.length === 0) problems.push(problem('intake.no_categories'));
  const url = v.callback_url.trim();
  if (url && !validUrl(url)) problems.push(problem('intake.bad_url'));
  const secret = v.secret.trim();
  if (secret && secret.length < MIN_SECRET) problems.push(problem('intake.short_secret', { n: MIN_SECRET }));
  if (problems.length) return { problems };
  const source: IntakeSource & { secret?: string } = {
    name,
    title,
    kind: v.kind as IntakeKind,
    categories: parsed.map,
    default_category: def || null,
    callback_url: url || null,
  };
  if (secret) source.secret = secret;
  return { source };
}

/** The address an external system posts to, on this server. */
export function intakeAddress(origin: string, name: string): string {
  return `${origin}/api/intake/${encodeURIComponent(name)}`;
}
