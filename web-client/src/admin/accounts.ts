// Logins (账号管理) as the admin page handles them: the shape /api/users
// answers, the filters of the table, and what an edit changes.

import type { User, UserRole } from '../shared/types';

/** A login as an administrator sees it (`GET /api/users`). */
export interface Account extends User {
  display_name: string;
  staff_id: string | null;
  must_change_password: boolean;
  /** A disabled login cannot log in and has no sessions. */
  disabled: boolean;
  /** The department (部门) it works for; null or absent for none. */
  department?: string | null;
}

/** Every role, most powerful first: the order of the role selects. */
export const USER_ROLES: readonly UserRole[] = ['admin', 'commander', 'dispatcher', 'viewer', 'field'];

/** The server's rule for a username (server/src/app/accounts.rs, check_username). */
export const USERNAME = /^[A-Za-z0-9._-]{3,64}$/;

export interface AccountFilter {
  /** Part of the username or the display name; case-insensitive. */
  text: string;
  /** '' for every role. */
  role: UserRole | '';
  /** An area code: logins bound to it or below it; '' for every area. */
  area: string;
}

/** Whether `code` lies in `ancestor`'s subtree (the area tree answers). */
export type Within = (code: string, ancestor: string) => boolean;

export function filterAccounts(accounts: readonly Account[], f: AccountFilter, within: Within): Account[] {
  const q = f.text.trim().toLowerCase();
  return accounts.filter(
    (a) =>
      (!q || a.username.toLowerCase().includes(q) || a.display_name.toLowerCase().includes(q)) &&
      (!f.role || a.role === f.role) &&
      (!f.area || (a.area !== '' && within(a.area, f.area))),
  );
}

/** What the edit form holds. */
export interface AccountFields {
  display_name: string;
  role: UserRole;
  area: string;
  /** '' for none. */
  staff_id: string;
  /** A department code; '' for none. */
  department: string;
}

/** The `PATCH /api/users/{username}` body: only what changed (`staff_id: null` clears it). */
export function accountChanges(before: Account, after: AccountFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const name = after.display_name.trim();
  if (name !== before.display_name) out.display_name = name;
  if (after.role !== before.role) out.role = after.role;
  if (after.area !== before.area) out.area = after.area;
  const staff = after.staff_id.trim() || null;
  if (staff !== (before.staff_id ?? null)) out.staff_id = staff;
  const department = after.department || null;
  if (department !== (before.department ?? null)) out.department = department;
  return out;
}

/** Replaces the login of the same username in the list, or adds it; kept by username like the server's. */
export function upsertAccount(accounts: readonly Account[], a: Account): Account[] {
  const out = accounts.filter((x) => x.username !== a.username);
  out.push(a);
  return out.sort((x, y) => (x.username < y.username ? -1 : x.username > y.username ? 1 : 0));
}
