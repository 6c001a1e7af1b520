// The dialogs that change logins: 新建账号, 编辑, 重置密码. Each checks what
// it can before sending (the username's form, a field login's staff member,
// the password rules) and says the server's refusals in the page's language.

import type { Api } from '../shared/api';
import { showError } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import { ruleProblem } from '../shared/passwordForm';
import type { User, UserRole } from '../shared/types';
import { type Account, accountChanges, USER_ROLES, USERNAME } from './accounts';
import { AreaPicker } from './areaPicker';
import type { AreaIndex } from './areas';
import type { DepartmentBook } from './departmentBook';
import { departmentsFor } from './departments';
import { type Dialog, fill } from './dialog';
import { bindPasswordField, passwordFieldHtml } from './passwordField';
import { matchStaff, type StaffEntry, staffIdOf, staffLabel } from './staff';

export interface AdminContext {
  api: Api;
  dialog: Dialog;
  areas: AreaIndex;
  /** The staff of the administrator's area, loaded once on first use. */
  staff: () => Promise<Map<string, StaffEntry>>;
  /** The administrator. */
  me: User;
  /** 部门: the departments the administrator sees, and the kinds of the dictionary. */
  departments: DepartmentBook;
}

type Saved = (a: Account) => void;

/** 新建账号 (`account` null) or 编辑 a login. */
export function openAccountForm(ctx: AdminContext, account: Account | null, saved: Saved): void {
  const creating = account === null;
  // An administrator cannot demote or move themselves (the server refuses it too).
  const self = account?.id === ctx.me.id;
  const role = account?.role ?? 'dispatcher';
  const form = ctx.dialog.open(`<form class="account" data-testid="account-form" novalidate>
    <h2>${esc(creating ? t('form.create_title') : fill('form.edit_title', { u: account.username }))}</h2>
    <div class="fields">
      ${creating ? `<label>${esc(t('form.username'))}<input name="username" autocomplete="off" spellcheck="false" maxlength="64" required />
        <small class="hint">${esc(t('form.username_hint'))}</small></label>` : ''}
      <label>${esc(t('form.display_name'))}<input name="display_name" value="${esc(account?.display_name ?? '')}" maxlength="100" /></label>
      <label>${esc(t('form.role'))}<select name="role" ${self ? 'disabled' : ''}>${USER_ROLES.map(
        (r) => `<option value="${r}" ${r === role ? 'selected' : ''}>${esc(t(`urole.${r}`))}</option>`,
      ).join('')}</select></label>
      <div class="field"><span class="label">${esc(t('form.area'))}</span><div data-area></div>
        ${self ? `<small class="hint">${esc(t('form.self_locked'))}</small>` : ''}</div>
      <label data-staff-row>${esc(t('form.staff'))}<span class="with-button"><input name="staff_id" list="staff-options" autocomplete="off" value="${esc(account?.staff_id ?? '')}" />
        ${creating ? '' : `<button type="button" data-clear-staff>${esc(t('form.staff_clear'))}</button>`}</span>
        <small class="hint" data-testid="staff-name">${esc(t('form.staff_hint'))}</small></label>
      <datalist id="staff-options"></datalist>
      <label>${esc(t('form.department'))}<select name="department" data-testid="department-select"></select>
        <small class="hint">${esc(t('form.department_hint'))}</small></label>
      ${creating ? passwordFieldHtml() : ''}
    </div>
    <p class="error" role="alert" data-testid="account-error"></p>
    <div class="buttons"><button type="button" data-cancel>${esc(t('form.cancel'))}</button>
      <button type="submit" class="primary">${esc(t(creating ? 'form.create' : 'form.save'))}</button></div></form>`);
  const input = (name: string) => form.querySelector<HTMLInputElement>(`[name=${name}]`)!;
  const roleSelect = form.querySelector<HTMLSelectElement>('select[name=role]')!;
  const err = form.querySelector('.error')!;
  // "No area" is for an administrator's login, given by one who sees the whole city.
  const noAreaAllowed = () => roleSelect.value === 'admin' && ctx.me.area === '';
  const picker = new AreaPicker(form.querySelector<HTMLElement>('[data-area]')!, ctx.areas, () => {
    void staffHint();
    departmentOptions();
  });
  picker.set(account?.area ?? ctx.me.area, { allowNone: noAreaAllowed(), disabled: self });
  // 所属部门: those of the chosen area and above; the choice kept while it still fits.
  const departmentSelect = form.querySelector<HTMLSelectElement>('select[name=department]')!;
  let department = account?.department ?? '';
  departmentSelect.addEventListener('change', () => (department = departmentSelect.value));
  const departmentOptions = () => {
    const fits = departmentsFor(picker.value, ctx.departments.list, (c, a) => ctx.areas.within(c, a), (c) => ctx.areas.byCode.has(c));
    if (department && !fits.some((d) => d.code === department)) {
      // Known, it does not serve the new area: dropped. Unknown (not loaded,
      // or above what this administrator sees): kept, by its code.
      if (ctx.departments.byCode.has(department)) department = '';
      else fits.unshift({ code: department, name: department, kind: '', area: '' });
    }
    departmentSelect.innerHTML = `<option value="">${esc(t('form.department_none'))}</option>${fits
      .map((d) => `<option value="${esc(d.code)}" ${d.code === department ? 'selected' : ''}>${esc(d.name)}${d.area_name ? ` · ${esc(d.area_name)}` : ''}</option>`)
      .join('')}`;
  };
  departmentOptions();
  // The staff member is a field login's (required); other logins rarely have one.
  const staffRow = form.querySelector<HTMLElement>('[data-staff-row]')!;
  const showStaff = () => (staffRow.hidden = roleSelect.value !== 'field' && !input('staff_id').value);
  showStaff();
  roleSelect.addEventListener('change', () => {
    picker.setAllowNone(noAreaAllowed());
    showStaff();
  });
  const broken = creating ? bindPasswordField(form, () => input('username').value.trim()) : () => [];
  // What was refused is out of date once anything is changed.
  form.addEventListener('input', () => (err.textContent = ''));

  // The staff member: suggestions from the chosen area, their name once known.
  const staffHint = async () => {
    const all = await ctx.staff().catch(() => new Map<string, StaffEntry>());
    const typed = input('staff_id').value;
    const area = picker.value;
    const inArea = (grid: string) => area === '' || ctx.areas.within(grid, area);
    form.querySelector('datalist')!.innerHTML = matchStaff(typed, all.values(), inArea)
      .map((s) => `<option value="${esc(staffLabel(s))}"></option>`)
      .join('');
    const hint = form.querySelector<HTMLElement>('[data-testid="staff-name"]')!;
    const s = all.get(staffIdOf(typed));
    hint.classList.toggle('unknown', Boolean(typed.trim()) && !s);
    if (!typed.trim()) hint.textContent = t('form.staff_hint');
    else if (!s) hint.textContent = t('form.staff_unknown');
    else {
      hint.textContent = `${s.name} · ${ctx.areas.name(s.home_grid) ?? s.home_grid}`;
      // A member outside the chosen area: the login goes where they work.
      if (!inArea(s.home_grid) && !self) {
        picker.set(s.home_grid, { allowNone: noAreaAllowed() });
        departmentOptions();
      }
    }
  };
  input('staff_id').addEventListener('input', () => void staffHint());
  form.querySelector('[data-clear-staff]')?.addEventListener('click', () => {
    input('staff_id').value = '';
    void staffHint();
  });
  if (account?.staff_id) void staffHint();

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const fields = {
      display_name: input('display_name').value,
      role: roleSelect.value as UserRole,
      area: picker.value,
      staff_id: staffIdOf(input('staff_id').value),
      department: departmentSelect.value,
    };
    const username = creating ? input('username').value.trim() : account.username;
    const problem =
      creating && !USERNAME.test(username) ? t('err.acct.username')
      : fields.role === 'field' && !fields.staff_id ? t('err.acct.staff_needed')
      : broken()[0] ? ruleProblem(broken()[0]!)
      : null;
    if (problem) {
      err.textContent = problem;
      err.removeAttribute('title');
      return;
    }
    const body = creating
      ? { username, display_name: fields.display_name.trim() || undefined, role: fields.role, area: fields.area, staff_id: fields.staff_id || undefined, department: fields.department || undefined, password: input('password').value }
      : accountChanges(account, fields);
    if (!creating && Object.keys(body).length === 0) return ctx.dialog.close();
    await send(form, async () => {
      const a = creating
        ? await ctx.api.post<Account>('/api/users', body)
        : await ctx.api.patch<Account>(`/api/users/${encodeURIComponent(username)}`, body);
      saved(a);
      if (creating) done(ctx.dialog, fill('form.created', { u: a.username }), input('password').value);
      else ctx.dialog.close();
    });
  });
}

/** 重置密码: a new first password; the login's sessions end and its owner must change it. */
export function openResetForm(ctx: AdminContext, account: Account, saved: Saved): void {
  const form = ctx.dialog.open(`<form class="account" data-testid="reset-form" novalidate>
    <h2>${esc(fill('form.reset_title', { u: account.username }))}</h2>
    <p class="notice">${esc(t('confirm.reset'))}</p>
    <div class="fields">${passwordFieldHtml()}</div>
    <p class="error" role="alert" data-testid="account-error"></p>
    <div class="buttons"><button type="button" data-cancel>${esc(t('form.cancel'))}</button>
      <button type="submit" class="danger">${esc(t('act.reset'))}</button></div></form>`);
  const broken = bindPasswordField(form, () => account.username);
  form.addEventListener('input', () => (form.querySelector('.error')!.textContent = ''));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const rule = broken()[0];
    if (rule) {
      form.querySelector('.error')!.textContent = ruleProblem(rule);
      return;
    }
    const password = form.querySelector<HTMLInputElement>('input[name=password]')!.value;
    await send(form, async () => {
      saved(await ctx.api.post<Account>(`/api/users/${encodeURIComponent(account.username)}/password`, { password }));
      done(ctx.dialog, fill('form.reset_done', { u: account.username }), password);
    });
  });
}

/** Sends with the submit button held down; a refusal is said in the form. */
async function send(form: HTMLFormElement, f: () => Promise<void>): Promise<void> {
  const button = form.querySelector<HTMLButtonElement>('button[type=submit]')!;
  const err = form.querySelector('.error')!;
  button.disabled = true;
  err.textContent = '';
  try {
    await f();
  } catch (e) {
    showError(err, e, 'account');
  } finally {
    button.disabled = false;
  }
}

/** What was done, with the password to hand over still in view. */
function done(dialog: Dialog, message: string, password: string): void {
  dialog.open(`<form method="dialog" class="account done" data-testid="account-done">
    <h2>${esc(message)}</h2>
    <p>${esc(t('form.password'))}${esc(t('colon'))}<code data-testid="given-password">${esc(password)}</code></p>
    <p class="hint">${esc(t('form.password_hint'))}</p>
    <div class="buttons"><button type="submit" class="primary">${esc(t('close'))}</button></div></form>`);
}
