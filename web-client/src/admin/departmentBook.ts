// The departments the administrator sees (GET /api/departments: those of
// their subtree and those above it that serve it), read once and again after
// each save, shared by the departments table and the login forms. The kinds a
// department may have come from the category dictionary, read on first use.

import type { Api } from '../shared/api';
import type { CategoryNode, Department } from '../shared/types';
import { departmentKinds } from './departments';

export class DepartmentBook {
  list: Department[] = [];
  byCode = new Map<string, Department>();
  loaded = false;
  /** Why the list could not be read (an older server has no departments), or null. */
  error: unknown = null;
  private kinds: Promise<string[]> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly api: Api) {}

  async load(): Promise<void> {
    try {
      this.set((await this.api.get<{ departments: Department[] }>('/api/departments')).departments);
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.loaded = true;
    for (const f of this.listeners) f();
  }

  /** Called after every load (the tables redraw). */
  onChange(f: () => void): void {
    this.listeners.add(f);
  }

  name(code: string | null | undefined): string | null {
    return code ? (this.byCode.get(code)?.name ?? null) : null;
  }

  /** The department kinds of the category dictionary (综治中心, 派出所 …); empty if it cannot be read. */
  departmentKinds(): Promise<string[]> {
    return (this.kinds ??= this.api
      .get<{ categories: CategoryNode[] }>('/api/incidents/categories')
      .then((r) => departmentKinds(r.categories), () => []));
  }

  private set(list: Department[]): void {
    this.list = [...list].sort((a, b) => (a.area === b.area ? (a.code < b.code ? -1 : 1) : a.area < b.area ? -1 : 1));
    this.byCode = new Map(list.map((d) => [d.code, d]));
  }
}
