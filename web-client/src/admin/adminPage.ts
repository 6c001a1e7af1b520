// 账号管理: the logins of the administrator's area, filtered, and what can be
// done to each (edit, disable/enable, reset the password) or a new one.

import { showError } from '../shared/errors';
import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { UserRole } from '../shared/types';
import { type Account, type AccountFilter, filterAccounts, upsertAccount } from './accounts';
import { type AdminContext, openAccountForm, openResetForm } from './accountForms';
import { fill } from './dialog';
import type { StaffEntry } from './staff';
import { countText, tableHtml, toolbarHtml } from './usersTable';

export class AdminPage {
  accounts: Account[] = [];
  private filter: AccountFilter = { text: '', role: '', area: '' };
  /** Names for the staff column; filled in when the staff have loaded. */
  private staff = new Map<string, StaffEntry>();
  private loaded = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('input', (ev) => this.onFilter(ev));
    host.addEventListener('change', (ev) => this.onFilter(ev));
    host.addEventListener('click', (ev) => void this.onClick(ev));
    // Department names arrive on their own; the column fills in then.
    ctx.departments.onChange(() => this.renderTable());
    void ctx.staff().then((s) => {
      this.staff = s;
      this.renderTable();
    }, () => undefined);
  }

  async load(): Promise<void> {
    try {
      this.accounts = (await this.ctx.api.get<{ users: Account[] }>('/api/users')).users;
      this.loaded = true;
      this.renderTable();
    } catch (e) {
      this.flash(e);
    }
  }

  /** Everything, in the page's language (again after the language switch). */
  render(): void {
    this.host.innerHTML = `<section class="card">
      <h2>${esc(t('admin.accounts'))}</h2>
      ${toolbarHtml(this.filter, this.ctx.areas)}
      <p class="flash" data-testid="flash" hidden></p>
      <div class="table" data-testid="accounts-table"></div></section>`;
    this.renderTable();
  }

  private renderTable(): void {
    const el = this.host.querySelector('.table');
    if (!el) return;
    if (!this.loaded) {
      el.innerHTML = `<p class="empty">${esc(t('admin.loading'))}</p>`;
      return;
    }
    const shown = filterAccounts(this.accounts, this.filter, (c, a) => this.ctx.areas.within(c, a));
    el.innerHTML = tableHtml(shown, {
      areas: this.ctx.areas,
      staff: this.staff,
      me: this.ctx.me,
      departmentName: (c) => this.ctx.departments.name(c),
    });
    this.host.querySelector('[data-testid="account-count"]')!.textContent = countText(shown.length);
  }

  private onFilter(ev: Event): void {
    const el = ev.target as HTMLInputElement | HTMLSelectElement;
    if (!el.closest('.toolbar')) return;
    if (el.name === 'q') this.filter.text = el.value;
    else if (el.name === 'role') this.filter.role = el.value as UserRole | '';
    else if (el.name === 'area') this.filter.area = el.value;
    else return;
    this.renderTable();
  }

  private async onClick(ev: Event): Promise<void> {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button');
    if (!b) return;
    const saved = (a: Account) => {
      const before = this.accounts.find((x) => x.username === a.username);
      this.accounts = upsertAccount(this.accounts, a);
      this.renderTable();
      // A department's members are the server's to say: read them again when a binding changed.
      if ((a.department ?? null) !== (before?.department ?? null)) void this.ctx.departments.load();
    };
    if (b.dataset.create !== undefined) return openAccountForm(this.ctx, null, saved);
    const username = b.closest<HTMLElement>('[data-username]')?.dataset.username;
    const account = this.accounts.find((a) => a.username === username);
    if (!account) return;
    switch (b.dataset.act) {
      case 'edit':
        return openAccountForm(this.ctx, account, saved);
      case 'reset':
        return openResetForm(this.ctx, account, saved);
      case 'disable':
      case 'enable':
        return this.setDisabled(account, b.dataset.act === 'disable', saved);
    }
  }

  private async setDisabled(a: Account, disabled: boolean, saved: (a: Account) => void): Promise<void> {
    const values = { u: a.username, name: a.display_name };
    const ok = await this.ctx.dialog.confirm(
      t(disabled ? 'act.disable' : 'act.enable'),
      fill(disabled ? 'confirm.disable' : 'confirm.enable', values),
      t(disabled ? 'act.disable' : 'act.enable'),
      disabled,
    );
    if (!ok) return;
    try {
      saved(await this.ctx.api.patch<Account>(`/api/users/${encodeURIComponent(a.username)}`, { disabled }));
      this.flash(null);
    } catch (e) {
      this.flash(e);
    }
  }

  /** A refusal over the table (the dialogs say theirs inside); null hides it. */
  private flash(e: unknown): void {
    const el = this.host.querySelector<HTMLElement>('.flash');
    if (!el) return;
    el.hidden = e === null;
    if (e !== null) showError(el, e, 'account');
  }
}
