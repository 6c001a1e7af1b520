// 部门管理: the departments of the administrator's area (and those above it
// that serve it), filtered; 新增部门 by hand and 导入 from a file (JSON or
// GeoJSON), checked here first so that a bad file is said line by line
// before anything is sent.

import { showError } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import { named } from '../shared/names';
import type { Department } from '../shared/types';
import type { AdminContext } from './accountForms';
import { openDepartmentForm } from './departmentForm';
import { type DepartmentFilter, filterDepartments, parseImport } from './departments';
import './deptLabels';
import { fill } from './dialog';

export class DepartmentsSection {
  private filter: DepartmentFilter = { text: '', kind: '' };

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('input', (ev) => this.onFilter(ev));
    host.addEventListener('change', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name === 'import-file') void this.importFile(input);
      else this.onFilter(ev);
    });
    host.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('button');
      if (b?.dataset.createDepartment !== undefined) void openDepartmentForm(ctx, (m) => this.savedThen(m));
      if (b?.dataset.importDepartments !== undefined) host.querySelector<HTMLInputElement>('input[name=import-file]')!.click();
    });
    ctx.departments.onChange(() => this.renderTable());
  }

  render(): void {
    this.host.innerHTML = `<section class="card" data-testid="departments-section">
      <h2>${esc(t('admin.departments'))}</h2>
      <div class="toolbar">
        <input name="dq" type="search" value="${esc(this.filter.text)}" placeholder="${esc(t('dept.filter'))}" aria-label="${esc(t('dept.filter'))}" data-testid="dept-filter-text" />
        <select name="dkind" aria-label="${esc(t('dept.col.kind'))}" data-testid="dept-filter-kind"></select>
        <span class="count" data-testid="department-count"></span>
        <input type="file" name="import-file" accept=".json,.geojson,application/json,application/geo+json" hidden data-testid="department-file" />
        <button type="button" data-import-departments data-testid="import-departments">⇪ ${esc(t('dept.import'))}</button>
        <button type="button" class="primary" data-create-department data-testid="create-department">＋ ${esc(t('dept.create'))}</button>
      </div>
      <div class="flash" data-testid="department-flash" hidden></div>
      <div class="table" data-testid="departments-table"></div></section>`;
    this.renderTable();
  }

  private renderTable(): void {
    const el = this.host.querySelector('.table');
    if (!el) return;
    const book = this.ctx.departments;
    this.renderKinds();
    if (!book.loaded) {
      el.innerHTML = `<p class="empty">${esc(t('admin.loading'))}</p>`;
      return;
    }
    if (book.error) {
      el.innerHTML = '<p class="error"></p>';
      showError(el.firstElementChild!, book.error, 'load');
      return;
    }
    const shown = filterDepartments(book.list, this.filter);
    this.host.querySelector('[data-testid="department-count"]')!.textContent = fill('dept.count', { n: shown.length });
    el.innerHTML = shown.length === 0 ? `<p class="empty">${esc(t('dept.none'))}</p>` : departmentsTableHtml(shown, (c) => this.ctx.areas.name(c));
  }

  /** The kind filter: the kinds of the departments listed. */
  private renderKinds(): void {
    const sel = this.host.querySelector<HTMLSelectElement>('select[name=dkind]');
    if (!sel) return;
    const kinds = [...new Set(this.ctx.departments.list.map((d) => d.kind))].sort((a, b) => a.localeCompare(b, 'zh-CN'));
    sel.innerHTML = `<option value="">${esc(t('dept.all_kinds'))}</option>${kinds
      .map((k) => `<option ${k === this.filter.kind ? 'selected' : ''}>${esc(k)}</option>`)
      .join('')}`;
  }

  private onFilter(ev: Event): void {
    const el = ev.target as HTMLInputElement | HTMLSelectElement;
    if (!el.closest('.toolbar')) return;
    if (el.name === 'dq') this.filter.text = el.value;
    else if (el.name === 'dkind') this.filter.kind = el.value;
    else return;
    this.renderTable();
  }

  private async importFile(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const parsed = parseImport(await file.text(), new Set(await this.ctx.departments.departmentKinds()));
    if (parsed.problems.length) {
      const items = parsed.problems.slice(0, 20).map((p) => `<li>${esc(fill(p.key, p.values))}</li>`).join('');
      const more = parsed.problems.length > 20 ? `<li>…</li>` : '';
      this.flash(`<p>${esc(fill('dept.import_problems', { file: file.name }))}</p><ul>${items}${more}</ul>`, 'error');
      return;
    }
    const warned = parsed.warnings.slice(0, 5).map((w) => fill(w.key, w.values));
    if (parsed.warnings.length > 5) warned.push('…');
    const question = [fill('dept.import_confirm', { file: file.name, n: parsed.departments.length }), ...warned].join('\n');
    const ok = await this.ctx.dialog.confirm(t('dept.import'), question, t('dept.import_ok'));
    if (!ok) return;
    try {
      const r = await this.ctx.api.post<{ saved: number }>('/api/departments', parsed.body);
      await this.savedThen(fill('dept.saved', { n: r?.saved ?? parsed.departments.length }));
    } catch (e) {
      const el = this.flash('', 'error');
      if (el) showError(el, e, 'department');
    }
  }

  private async savedThen(message: string): Promise<void> {
    await this.ctx.departments.load();
    this.flash(esc(message), 'ok');
  }

  private flash(html: string, kind: 'ok' | 'error'): HTMLElement | null {
    const el = this.host.querySelector<HTMLElement>('.flash');
    if (!el) return null;
    el.hidden = false;
    el.className = `flash ${kind}`;
    el.removeAttribute('title');
    el.innerHTML = html;
    return el;
  }
}

/** The table: code, name, kind, the area by name (code on hover), its level, the logins bound to it. */
export function departmentsTableHtml(list: readonly Department[], areaName: (code: string) => string | null): string {
  const head = ['dept.col.code', 'dept.col.name', 'dept.col.kind', 'dept.col.area', 'dept.col.level', 'dept.col.members'];
  const rows = list.map((d) => {
    const members = d.members?.length ? d.members.map((m) => `<span class="member">${esc(m)}</span>`).join(' ') : '—';
    return `<tr data-department="${esc(d.code)}">
      <td class="username">${esc(d.code)}</td><td class="name">${esc(d.name)}</td><td class="kind">${esc(d.kind)}</td>
      <td class="area">${named(d.area_name ?? areaName(d.area), d.area)}</td>
      <td class="level">${d.level ? esc(t(`level.${d.level}`)) : '—'}</td>
      <td class="members" data-count="${d.members?.length ?? 0}">${members}</td></tr>`;
  });
  return `<table class="accounts departments" data-testid="departments">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
