// 部门 (departments) as the admin page handles them: the list GET
// /api/departments answers, what an import file holds (a JSON list or a
// GeoJSON FeatureCollection whose properties are the fields), the kinds the
// category dictionary names, and which departments a login may be bound to.

import type { CategoryNode, Department } from '../shared/types';

/** The fields a department is saved with (POST /api/departments). */
export interface DepartmentIn {
  code: string;
  name: string;
  kind: string;
  area: string;
  staff?: string[];
}

/** What a file held: the departments to send, and what is wrong with it (message keys with values). */
export interface ParsedImport {
  /** The body for POST /api/departments: the file itself when it is a FeatureCollection. */
  body: unknown;
  departments: DepartmentIn[];
  /** What stops the import. */
  problems: Notice[];
  /** What is asked about before sending (a kind the dictionary does not name: no category will be routed to it). */
  warnings: Notice[];
}

/** A sentence's key with its values (dialog.ts `fill`). */
export interface Notice {
  key: string;
  values: Record<string, string | number>;
}

const REQUIRED = ['code', 'name', 'kind', 'area'] as const;

/** A record of the file as a department (strings trimmed; staff as a list), or null if it is not an object. */
function asDepartment(raw: unknown): DepartmentIn | null {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
  const d: DepartmentIn = { code: str(r.code), name: str(r.name), kind: str(r.kind), area: str(r.area) };
  const staff = Array.isArray(r.staff) ? r.staff.map(str).filter(Boolean) : typeof r.staff === 'string' ? splitList(r.staff) : [];
  if (staff.length) d.staff = staff;
  return d;
}

/** "S1, S2；S3" → ['S1', 'S2', 'S3']: staff ids typed or stored as one string. */
export function splitList(s: string): string[] {
  return s.split(/[\s,，;；、]+/).map((x) => x.trim()).filter(Boolean);
}

/**
 * Reads an import file's text: `{"departments":[…]}`, a bare list, or a
 * GeoJSON FeatureCollection (its features' properties). Checks what can be
 * checked here (each has code, name, kind and area; no code twice) so that a
 * bad file is said before anything is sent; a kind the dictionary does not
 * name (when `kinds` is given) is only asked about: the server decides.
 */
export function parseImport(text: string, kinds: ReadonlySet<string> = new Set()): ParsedImport {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { body: null, departments: [], problems: [{ key: 'dept.import_not_json', values: {} }], warnings: [] };
  }
  const obj = json as Record<string, unknown> | null;
  let records: unknown[] | null = null;
  let body: unknown = null;
  if (Array.isArray(json)) records = json;
  else if (obj && Array.isArray(obj.departments)) records = obj.departments;
  else if (obj && obj.type === 'FeatureCollection' && Array.isArray(obj.features)) {
    records = obj.features.map((f) => (f && typeof f === 'object' ? (f as { properties?: unknown }).properties : null));
    // The server reads the collection itself (it may keep more than the list says).
    body = json;
  }
  if (!records) return { body: null, departments: [], problems: [{ key: 'dept.import_shape', values: {} }], warnings: [] };
  const problems: Notice[] = [];
  const warnings: Notice[] = [];
  const departments: DepartmentIn[] = [];
  const seen = new Set<string>();
  records.forEach((raw, i) => {
    const d = asDepartment(raw);
    const n = i + 1;
    if (!d) {
      problems.push({ key: 'dept.import_not_object', values: { n } });
      return;
    }
    const missing = REQUIRED.filter((k) => !d[k]);
    if (missing.length) problems.push({ key: 'dept.import_missing', values: { n, fields: missing.join(', ') } });
    else if (seen.has(d.code)) problems.push({ key: 'dept.import_twice', values: { n, code: d.code } });
    else {
      if (kinds.size && !kinds.has(d.kind)) warnings.push({ key: 'dept.import_kind', values: { n, kind: d.kind } });
      seen.add(d.code);
      departments.push(d);
    }
  });
  if (records.length === 0) problems.push({ key: 'dept.import_empty', values: {} });
  return { body: body ?? { departments }, departments, problems, warnings };
}

/** The department kinds the category dictionary names (each minor's department), sorted. */
export function departmentKinds(categories: readonly CategoryNode[]): string[] {
  const out = new Set<string>();
  const walk = (c: CategoryNode) => {
    if (c.department) out.add(c.department);
    for (const k of c.children ?? []) walk(k);
  };
  categories.forEach(walk);
  return [...out].sort((a, b) => a.localeCompare(b, 'zh-CN'));
}

export interface DepartmentFilter {
  /** Part of the code or the name. */
  text: string;
  /** '' for every kind. */
  kind: string;
}

export function filterDepartments(list: readonly Department[], f: DepartmentFilter): Department[] {
  const q = f.text.trim().toLowerCase();
  return list.filter((d) => (!q || d.code.toLowerCase().includes(q) || d.name.toLowerCase().includes(q)) && (!f.kind || d.kind === f.kind));
}

/**
 * The departments a login of `area` may work for: those of the area and of
 * the areas above it. `within(a, b)`: a is b or below it, in the areas the
 * administrator sees; a department whose area is not among them (`known`
 * false) serves from above the administrator's area, so it is above any
 * area they can choose. A login with no area (city-wide) gets the city's.
 */
export function departmentsFor(
  area: string,
  list: readonly Department[],
  within: (code: string, ancestor: string) => boolean,
  known: (code: string) => boolean,
): Department[] {
  return list
    .filter((d) => (area === '' ? d.level === 'city' : !known(d.area) || within(area, d.area)))
    // The area's own first, then up the tree (an area's code extends its parent's).
    .sort((a, b) => (a.area === b.area ? (a.code < b.code ? -1 : 1) : b.area.length - a.area.length || (a.area < b.area ? -1 : 1)));
}
