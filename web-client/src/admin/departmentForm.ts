// 新增部门: one department by hand — its code, name, kind (one of the
// handling departments the category dictionary names, so that 一网分流 finds
// it for those categories), its area picked level by level, and optionally
// its staff. Sent as a one-item import (POST /api/departments).

import { showError } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { AdminContext } from './accountForms';
import { AreaPicker } from './areaPicker';
import { type DepartmentIn, splitList } from './departments';
import { fill } from './dialog';

/** The department typed in, or the key of what is missing. */
export function departmentFromForm(v: { code: string; name: string; kind: string; area: string; staff: string }): DepartmentIn | string {
  const d: DepartmentIn = { code: v.code.trim(), name: v.name.trim(), kind: v.kind.trim(), area: v.area };
  if (!d.code || !d.name || !d.kind || !d.area) return 'dept.form.missing';
  const staff = splitList(v.staff);
  if (staff.length) d.staff = staff;
  return d;
}

export async function openDepartmentForm(ctx: AdminContext, saved: (message: string) => void): Promise<void> {
  const kinds = await ctx.departments.departmentKinds();
  // Without the dictionary (it could not be read) the kind is typed.
  const kindField = kinds.length
    ? `<select name="kind" required><option value=""></option>${kinds.map((k) => `<option>${esc(k)}</option>`).join('')}</select>`
    : `<input name="kind" required maxlength="64" />`;
  const form = ctx.dialog.open(`<form class="account department" data-testid="department-form" novalidate>
    <h2>${esc(t('dept.form.title'))}</h2>
    <div class="fields">
      <label>${esc(t('dept.form.code'))}<input name="code" autocomplete="off" spellcheck="false" maxlength="64" required />
        <small class="hint">${esc(t('dept.form.code_hint'))}</small></label>
      <label>${esc(t('dept.form.name'))}<input name="name" maxlength="100" required /></label>
      <label>${esc(t('dept.form.kind'))}${kindField}</label>
      <div class="field"><span class="label">${esc(t('dept.form.area'))}</span><div data-area></div></div>
      <label>${esc(t('dept.form.staff'))}<input name="staff" autocomplete="off" spellcheck="false" /></label>
    </div>
    <p class="error" role="alert" data-testid="department-error"></p>
    <div class="buttons"><button type="button" data-cancel>${esc(t('form.cancel'))}</button>
      <button type="submit" class="primary">${esc(t('form.save'))}</button></div></form>`);
  const value = (name: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(`[name=${name}]`)!.value;
  const err = form.querySelector<HTMLElement>('.error')!;
  const picker = new AreaPicker(form.querySelector<HTMLElement>('[data-area]')!, ctx.areas, () => undefined);
  picker.set(ctx.me.area, { allowNone: false });
  form.addEventListener('input', () => (err.textContent = ''));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const d = departmentFromForm({ code: value('code'), name: value('name'), kind: value('kind'), area: picker.value, staff: value('staff') });
    if (typeof d === 'string') {
      err.textContent = t(d);
      err.removeAttribute('title');
      return;
    }
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
    button.disabled = true;
    try {
      const r = await ctx.api.post<{ saved: number }>('/api/departments', { departments: [d] });
      ctx.dialog.close();
      saved(fill('dept.saved', { n: r?.saved ?? 1 }));
    } catch (e) {
      showError(err, e, 'department');
    } finally {
      button.disabled = false;
    }
  });
}
