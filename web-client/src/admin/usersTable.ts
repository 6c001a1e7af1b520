// The table of logins and the filters above it, as HTML: names, not codes
// (the area's name with its code on hover, the staff member's name), and a
// badge for what needs attention (停用, 需改密).

import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import { named } from '../shared/names';
import type { User } from '../shared/types';
import { type Account, type AccountFilter, USER_ROLES } from './accounts';
import type { AreaIndex } from './areas';
import { fill } from './dialog';
import type { StaffEntry } from './staff';

export interface TableContext {
  areas: AreaIndex;
  staff: Map<string, StaffEntry>;
  me: User;
  /** A department's name by code (null when unknown). */
  departmentName: (code: string) => string | null;
}

/** The filters and the create button; drawn once, so typing in the box keeps its focus. */
export function toolbarHtml(f: AccountFilter, areas: AreaIndex): string {
  const pad = (depth: number) => '\u3000'.repeat(depth);
  return `<div class="toolbar">
    <input name="q" type="search" value="${esc(f.text)}" placeholder="${esc(t('admin.filter'))}" aria-label="${esc(t('admin.filter'))}" data-testid="filter-text" />
    <select name="role" aria-label="${esc(t('col.role'))}" data-testid="filter-role"><option value="">${esc(t('admin.all_roles'))}</option>${USER_ROLES.map(
      (r) => `<option value="${r}" ${r === f.role ? 'selected' : ''}>${esc(t(`urole.${r}`))}</option>`,
    ).join('')}</select>
    <select name="area" aria-label="${esc(t('col.area'))}" data-testid="filter-area"><option value="">${esc(t('admin.all_areas'))}</option>${areas
      .ordered('community')
      .map(({ area, depth }) => `<option value="${esc(area.code)}" ${area.code === f.area ? 'selected' : ''}>${pad(depth)}${esc(area.name)}</option>`)
      .join('')}</select>
    <span class="count" data-testid="account-count"></span>
    <button type="button" class="primary" data-create data-testid="create-account">＋ ${esc(t('admin.create'))}</button>
  </div>`;
}

export function tableHtml(accounts: readonly Account[], ctx: TableContext): string {
  if (accounts.length === 0) return `<p class="empty">${esc(t('admin.none'))}</p>`;
  const head = ['col.username', 'col.name', 'col.role', 'col.area', 'col.staff', 'col.department', 'col.status', 'col.actions'];
  return `<table class="accounts" data-testid="accounts">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead>
    <tbody>${accounts.map((a) => row(a, ctx)).join('')}</tbody></table>`;
}

function row(a: Account, ctx: TableContext): string {
  const self = a.id === ctx.me.id;
  const area = a.area === '' ? esc(t('admin.scope_all')) : named(ctx.areas.name(a.area), a.area);
  const member = a.staff_id ? ctx.staff.get(a.staff_id) : undefined;
  const staff = !a.staff_id ? '—' : member ? `${esc(member.name)} <small>${esc(a.staff_id)}</small>` : esc(a.staff_id);
  const department = a.department ? named(ctx.departmentName(a.department), a.department) : '—';
  const badges = [
    a.disabled ? `<span class="badge off" data-badge="disabled">${esc(t('badge.disabled'))}</span>` : '',
    a.must_change_password ? `<span class="badge warn" data-badge="must_change">${esc(t('badge.must_change'))}</span>` : '',
  ].join('') || `<span class="badge ok">${esc(t('badge.active'))}</span>`;
  const toggle = a.disabled
    ? `<button type="button" data-act="enable">${esc(t('act.enable'))}</button>`
    : `<button type="button" data-act="disable" class="danger" ${self ? `disabled title="${esc(t('self.no_disable'))}"` : ''}>${esc(t('act.disable'))}</button>`;
  return `<tr data-username="${esc(a.username)}" class="${a.disabled ? 'is-disabled' : ''}">
    <td class="username">${esc(a.username)}${self ? ` <span class="badge self">${esc(t('badge.self'))}</span>` : ''}</td>
    <td>${esc(a.display_name)}</td>
    <td class="role role-${a.role}">${esc(t(`urole.${a.role}`))}</td>
    <td class="area">${area}</td>
    <td class="staff">${staff}</td>
    <td class="department" data-department="${esc(a.department ?? '')}">${department}</td>
    <td class="status">${badges}</td>
    <td class="actions"><button type="button" data-act="edit">${esc(t('act.edit'))}</button>${toggle}<button type="button" data-act="reset" ${self ? `disabled title="${esc(t('self.no_reset'))}"` : ''}>${esc(t('act.reset'))}</button></td>
  </tr>`;
}

/** "共 12 个账号" */
export const countText = (shown: number): string => fill('admin.count', { n: shown });
