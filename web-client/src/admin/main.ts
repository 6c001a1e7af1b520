// Entry point of the admin page (/admin, 系统管理): six tabs, the logins of
// the administrator's area (账号管理), its departments (部门管理), the
// external intake sources with their callbacks (接入), the key places'
// venue codes with the recent inspections (场所码), the geofences
// (电子围栏) and the shift roster (排班); the tab shown follows the address's
// hash (#departments, #intake, #venues, #fences, #roster), so a link or a
// reload keeps it.
// Other roles are told the page is not for them.

import '../styles/admin.css';
import { Api } from '../shared/api';
import { esc, loadCityOffset } from '../shared/format';
import { initLang, lang, onLangChange, setLang, t } from '../shared/i18n';
import { ensureSession } from '../shared/loginForm';
import { bindPasswordButton } from '../shared/passwordForm';
import { endSession, logout, SessionStore } from '../shared/session';
import type { AreaLevel, User } from '../shared/types';
import type { AdminContext } from './accountForms';
import { AdminPage } from './adminPage';
import { loadAreas } from './areas';
import { DepartmentBook } from './departmentBook';
import { DepartmentsSection } from './departmentsSection';
import { IntakeSection } from './intakeSection';
import { VenuesSection } from './venuesSection';
import { FencesSection } from './fencesSection';
import { RosterSection } from './rosterSection';
import { Dialog, fill } from './dialog';
import './labels';
import { loadStaff, type StaffEntry } from './staff';

interface Me {
  user: User;
  area: { code: string; name: string; level: AreaLevel } | null;
}

async function main(): Promise<void> {
  initLang();
  const api = new Api();
  const store = new SessionStore('riskmap.admin.session');
  // The city's time, asked while the login is made: every time shown is the city's.
  const cityTime = loadCityOffset();
  api.onUnauthorized = () => endSession(store);
  const session = await ensureSession(api, store, document.getElementById('login')!, t('admin_title'), 'admin');
  await cityTime;
  // From here on the login form is gone: it takes over again after a reload.
  api.onPasswordChangeRequired = () => window.location.reload();
  document.getElementById('app')!.hidden = false;
  bindPasswordButton(document.querySelector<HTMLElement>('[data-password]')!, api, store, session.user.username);
  document.querySelector('[data-lang]')!.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
  document.querySelector('[data-logout]')!.addEventListener('click', async () => {
    await logout(api).catch(() => undefined);
    store.clear();
    window.location.reload();
  });
  const me = await api.get<Me>('/api/me');
  const main = document.getElementById('main')!;
  let page: AdminPage | null = null;
  let departments: DepartmentsSection | null = null;
  let intake: IntakeSection | null = null;
  let venues: VenuesSection | null = null;
  let fences: FencesSection | null = null;
  let roster: RosterSection | null = null;
  let tabs: HTMLElement | null = null;
  const renderAll = () => {
    document.title = t('admin_title');
    document.documentElement.lang = lang() === 'zh' ? 'zh-CN' : 'en';
    document.querySelector('[data-i18n="admin_title"]')!.textContent = t('admin_title');
    document.querySelector('[data-lang]')!.textContent = t('lang_switch');
    document.querySelector('[data-logout]')!.textContent = t('logout');
    const who = document.getElementById('who')!;
    who.textContent = me.user.display_name || me.user.username;
    who.title = `${me.user.username} · ${t(`urole.${me.user.role}`)}`;
    document.getElementById('scope')!.textContent = `${t('admin.scope')}${me.area?.name ?? t('admin.scope_all')}`;
    if (page && tabs) {
      renderTabs(tabs);
      page.render();
      departments?.render();
      intake?.render();
      venues?.render();
      fences?.render();
      roster?.render();
    } else notForYou(main, me.user);
  };
  onLangChange(renderAll);
  if (me.user.role === 'admin') {
    let staff: Promise<Map<string, StaffEntry>> | null = null;
    const ctx: AdminContext = {
      api,
      dialog: new Dialog(document.querySelector<HTMLDialogElement>('#dialog')!),
      areas: await loadAreas(api),
      staff: () => (staff ??= loadStaff(api)),
      me: me.user,
      departments: new DepartmentBook(api),
    };
    main.innerHTML = `<nav class="tabs" role="tablist" data-testid="admin-tabs"></nav><div data-tab="accounts"></div><div data-tab="departments" hidden></div><div data-tab="intake" hidden></div><div data-tab="venues" hidden></div><div data-tab="fences" hidden></div><div data-tab="roster" hidden></div>`;
    tabs = main.querySelector<HTMLElement>('nav.tabs')!;
    page = new AdminPage(main.querySelector<HTMLElement>('[data-tab="accounts"]')!, ctx);
    departments = new DepartmentsSection(main.querySelector<HTMLElement>('[data-tab="departments"]')!, ctx);
    const intakeTab = new IntakeSection(main.querySelector<HTMLElement>('[data-tab="intake"]')!, ctx);
    intake = intakeTab;
    const venuesTab = new VenuesSection(main.querySelector<HTMLElement>('[data-tab="venues"]')!, ctx);
    venues = venuesTab;
    const fencesTab = new FencesSection(main.querySelector<HTMLElement>('[data-tab="fences"]')!, ctx);
    fences = fencesTab;
    const rosterTab = new RosterSection(main.querySelector<HTMLElement>('[data-tab="roster"]')!, ctx);
    roster = rosterTab;
    // The intake lists, the key places, the fences and the roster are read when their tab first shows.
    const shown = () => {
      renderTabs(tabs!);
      if (shownTab() === 'intake') void intakeTab.load();
      if (shownTab() === 'venues') void venuesTab.load();
      if (shownTab() === 'fences') void fencesTab.load();
      if (shownTab() === 'roster') void rosterTab.load();
    };
    tabs.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-show]');
      if (b) window.location.hash = b.dataset.show === 'accounts' ? '' : (b.dataset.show ?? '');
    });
    window.addEventListener('hashchange', shown);
    renderAll();
    shown();
    await Promise.all([page.load(), ctx.departments.load()]);
  } else {
    document.getElementById('scope')!.hidden = true;
    renderAll();
  }
}

const TABS = ['accounts', 'departments', 'intake', 'venues', 'fences', 'roster'] as const;

/** The tab the address's hash names; 账号管理 without one. */
function shownTab(): (typeof TABS)[number] {
  const h = window.location.hash.slice(1);
  return (TABS as readonly string[]).includes(h) ? (h as (typeof TABS)[number]) : 'accounts';
}

/** The tab bar, and which tab shows: the address's hash says. */
function renderTabs(nav: HTMLElement): void {
  const shown = shownTab();
  nav.innerHTML = TABS
    .map((k) => `<button type="button" role="tab" data-show="${k}" aria-selected="${k === shown}" data-testid="tab-${k}">${esc(t(`tab.${k}`))}</button>`)
    .join('');
  for (const el of document.querySelectorAll<HTMLElement>('#main [data-tab]')) el.hidden = el.dataset.tab !== shown;
}

/** Any other role: what this page is, and the way back to their own page. */
function notForYou(host: HTMLElement, user: User): void {
  const [href, back] = user.role === 'field' ? ['./field', 'admin.field_back'] : ['./', 'admin.back'];
  host.innerHTML = `<section class="card not-admin" data-testid="not-admin">
    <h2>${esc(t('admin.not_admin'))}</h2>
    <p>${esc(fill('admin.not_admin_hint', { role: t(`urole.${user.role}`) }))}</p>
    <p><a href="${href}" class="button">${esc(t(back))}</a></p></section>`;
}

void main();
