// The admin page (/admin, 账号管理) and the forced password change: a
// district's administrator creates a login, its owner must choose their own
// password at the first login, disabling it ends its open big screen at
// once; other roles are told the page is not for them; English works.

import { assert, eventually, test } from './harness.mjs';
import { ADMIN_PASSWORD, api, BASE, login, SHOTS, token, watchErrors } from './support.mjs';

const HAN = /[\u4e00-\u9fff]/;
const DESK = { viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, locale: 'zh-CN' };

/**
 * The login the tests below share: made through the page by the first test,
 * or through the API when that test was filtered out.
 */
let made = null;

async function newLogin() {
  if (made) return made;
  const tok = await token('district-admin');
  const me = await api(tok, 'GET', '/api/me');
  const username = `e2e-api-${Date.now()}`;
  const password = 'Erste-Passwort-2026';
  await api(tok, 'POST', '/api/users', { username, display_name: '接口派遣员', role: 'dispatcher', area: me.user.area, password });
  made = { username, password };
  return made;
}

/** The big screen of `username`, logged in and drawn. */
async function bigScreen(browser, username, password) {
  const context = await browser.newContext({ ...DESK, viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  await login(page, '/', username, password);
  return { context, page };
}

const mapReady = (page) => page.waitForFunction(() => window.riskmap?.ready && window.riskmap.tree !== null, null, { timeout: 30_000 });

test('a district administrator sees only its district’s logins and creates a dispatcher with a generated password', async ({ browser }) => {
  const context = await browser.newContext(DESK);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await login(page, '/admin', 'district-admin');
  await page.waitForSelector('[data-testid="accounts"] tr[data-username]');
  const tok = await token('district-admin');
  const me = await api(tok, 'GET', '/api/me');
  const scope = await page.textContent('[data-testid="admin-scope"]');
  assert(me.area && scope.includes(me.area.name), `the administrator's area at the top (${me.area?.name}): ${scope}`);
  // The table is the district's logins: the city-wide ones (the city's
  // commander, dispatcher, screen, the system administrator) are not there.
  const rows = await page.$$eval('[data-testid="accounts"] tr[data-username]', (r) => r.map((x) => x.dataset.username));
  const theirs = (await api(tok, 'GET', '/api/users')).users.map((u) => u.username);
  assert(JSON.stringify(rows) === JSON.stringify(theirs), `the table lists the district's logins: ${rows} vs ${theirs}`);
  assert(rows.includes('district') && rows.includes('district-admin'), `the district's own logins listed: ${rows}`);
  for (const cityWide of ['admin', 'commander', 'dispatcher', 'screen']) assert(!rows.includes(cityWide), `${cityWide} (city-wide) is not listed`);
  const areaCell = await page.textContent('tr[data-username="district"] td.area');
  assert(areaCell.trim() === me.area.name, `areas by name: ${areaCell}`);

  // 新建账号: a dispatcher for the district's first street, with a generated password.
  await page.click('[data-testid="create-account"]');
  const form = '[data-testid="account-form"]';
  await page.waitForSelector(form);
  const username = `e2e-disp-${Date.now()}`;
  await page.fill(`${form} input[name=username]`, username);
  await page.fill(`${form} input[name=display_name]`, '测试派遣员');
  await page.selectOption(`${form} select[name=role]`, 'dispatcher');
  await page.selectOption(`${form} [data-area] select[data-depth="1"]`, { index: 1 });
  const street = await page.$eval(`${form} [data-area] select[data-depth="1"]`, (s) => ({ code: s.value, name: s.selectedOptions[0].textContent }));
  // A weak password typed by hand is refused before anything is sent.
  await page.fill(`${form} input[name=password]`, 'password123');
  await page.click(`${form} button[type=submit]`);
  const weak = await page.textContent('[data-testid="account-error"]');
  assert(weak.includes('密码不符合规则'), `a weak password refused: ${weak}`);
  await page.click(`${form} [data-generate]`);
  const password = await page.inputValue(`${form} input[name=password]`);
  assert(password.length >= 16, `a generated password shown: ${password}`);
  const ticks = await page.$$eval(`${form} [data-rule]`, (li) => li.map((x) => x.className));
  assert(ticks.every((c) => c === 'ok'), `every rule ticked: ${ticks}`);
  await page.screenshot({ path: `${SHOTS}/admin-create.png` });
  await page.click(`${form} button[type=submit]`);
  const given = await eventually(() => page.textContent('[data-testid="given-password"]').catch(() => null), { message: 'the login created' });
  assert(given === password, 'the password to hand over stays in view');
  await page.click('[data-testid="account-done"] button[type=submit]');
  const row = `tr[data-username="${username}"]`;
  await page.waitForSelector(row);
  assert((await page.textContent(`${row} [data-badge="must_change"]`)) === '需改密', 'the new login must change its password');
  assert((await page.textContent(`${row} td.area`)).trim() === street.name, 'bound to the chosen street');
  made = { username, password };

  // The same username again: the server's 409, said as such.
  await page.click('[data-testid="create-account"]');
  await page.fill(`${form} input[name=username]`, username);
  await page.click(`${form} [data-generate]`);
  await page.click(`${form} button[type=submit]`);
  const taken = await eventually(() => page.textContent('[data-testid="account-error"]').then((t) => t || null), { message: 'the refusal' });
  assert(taken.includes('用户名已被使用') && (await page.getAttribute('[data-testid="account-error"]', 'data-status')) === '409', `taken: ${taken}`);
  // A field login: the staff member is searched among the district's staff.
  assert(!(await page.isVisible(`${form} input[name=staff_id]`)), 'no staff box for a dispatcher');
  await page.selectOption(`${form} select[name=role]`, 'field');
  await page.fill(`${form} input[name=staff_id]`, 'S');
  const offered = await eventually(() => page.$$eval('#staff-options option', (o) => o.map((x) => x.value)).then((v) => (v.length ? v : null)), { message: 'staff suggested' });
  const member = await api(tok, 'GET', `/api/staff/${offered[0].split(' · ')[1]}`);
  assert(member.name && offered[0].startsWith(member.name), `a staff member of the district suggested: ${offered[0]}`);
  await page.fill(`${form} input[name=staff_id]`, offered[0]);
  const hint = await eventually(() => page.textContent('[data-testid="staff-name"]').then((t) => (t.startsWith(member.name) ? t : null)), { message: 'the staff member named' });
  assert(hint.includes(' · '), `their name and grid: ${hint}`);
  await page.click(`${form} [data-cancel]`);
  // The filters: by name, then by role.
  await page.fill('[data-testid="filter-text"]', '测试派遣');
  await eventually(async () => (await page.$$('[data-testid="accounts"] tr[data-username]')).length >= 1, { message: 'filtered by name' });
  assert(await page.$(row), 'found by display name');
  await page.fill('[data-testid="filter-text"]', '');
  await page.selectOption('[data-testid="filter-role"]', 'admin');
  const admins = await page.$$eval('[data-testid="accounts"] tr[data-username]', (r) => r.map((x) => x.dataset.username));
  assert(admins.length === 1 && admins[0] === 'district-admin', `filtered by role: ${admins}`);
  await page.selectOption('[data-testid="filter-role"]', '');
  await page.screenshot({ path: `${SHOTS}/admin-accounts.png`, fullPage: true });
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
}, { timeoutMs: 90_000 });

test('a new login must change its password at the first login (weak and wrong refused, readable), then reaches the map', async ({ browser }) => {
  const { username, password } = await newLogin();
  const { context, page } = await bigScreen(browser, username, password);
  const form = '[data-testid="password-form"]';
  await page.waitForSelector(form);
  assert(!(await page.isVisible('#app')), 'the big screen waits behind the form');
  // A reload does not get past it: the remembered session's /api/me says so too.
  await page.reload();
  await page.waitForSelector(form);
  const rules = await page.$$eval(`${form} [data-rule]`, (li) => li.map((x) => x.textContent));
  assert(rules.some((r) => r.includes('10')) && rules.some((r) => r.includes('三类')), `the rules shown: ${rules}`);
  // Weak: lowercase and digits only.
  await page.fill(`${form} input[name=current]`, password);
  await page.fill(`${form} input[name=next]`, 'qingxin2026');
  await page.fill(`${form} input[name=repeat]`, 'qingxin2026');
  await page.click(`${form} button[type=submit]`);
  const weak = await page.textContent('[data-testid="password-error"]');
  assert(weak.includes('密码不符合规则') && weak.includes('三类'), `the weak password refused, saying why: ${weak}`);
  assert((await page.getAttribute(`${form} [data-rule="kinds"]`, 'class')) === 'bad', 'the broken rule marked');
  await page.screenshot({ path: `${SHOTS}/password-change.png` });
  // A wrong current password: the server's answer, in Chinese.
  const next = 'Qingxin-2026!';
  await page.fill(`${form} input[name=current]`, 'Not-The-Password-1');
  await page.fill(`${form} input[name=next]`, next);
  await page.fill(`${form} input[name=repeat]`, next);
  await page.click(`${form} button[type=submit]`);
  const wrong = await eventually(() => page.textContent('[data-testid="password-error"]').then((t) => (t.includes('当前密码') ? t : null)), { message: 'the wrong current password said' });
  assert(!/[A-Za-z]{3,}/.test(wrong), `in Chinese: ${wrong}`);
  await page.fill(`${form} input[name=current]`, password);
  await page.click(`${form} button[type=submit]`);
  await mapReady(page);
  // The page carries the new token: its old password and token are gone.
  const r = await fetch(`${BASE}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  assert(r.status === 401, `the first password no longer works: ${r.status}`);
  const me = await api(await token(username, next), 'GET', '/api/me');
  assert(me.user.must_change_password === false, 'no longer has to change it');
  made = { username, password: next };
  await context.close();
}, { timeoutMs: 90_000 });

test('the field page makes a new field login change its password too, on a phone', async ({ browser }) => {
  const tok = await token('district-admin');
  const staff = await api(tok, 'GET', '/ogc/collections/staff/items?limit=1');
  const member = { ...staff.features[0].properties, id: staff.features[0].properties.id ?? staff.features[0].id };
  const username = `e2e-field-${Date.now()}`;
  const password = 'Erste-Passwort-2026';
  await api(tok, 'POST', '/api/users', { username, role: 'field', area: member.home_grid, staff_id: member.id, password });
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const page = await context.newPage();
  await login(page, '/field', username, password);
  const form = '[data-testid="password-form"]';
  await page.waitForSelector(form);
  const width = await page.$eval(form, (f) => f.scrollWidth <= f.clientWidth && f.getBoundingClientRect().right <= window.innerWidth);
  assert(width, 'the form fits the phone');
  await page.fill(`${form} input[name=current]`, password);
  await page.fill(`${form} input[name=next]`, 'Wangge-2026!');
  await page.fill(`${form} input[name=repeat]`, 'Wangge-2026?');
  await page.screenshot({ path: `${SHOTS}/password-change-field.png`, fullPage: true });
  await page.click(`${form} button[type=submit]`);
  assert((await page.textContent('[data-testid="password-error"]')) === '两次输入的新密码不一致', 'the two entries must match');
  await page.fill(`${form} input[name=repeat]`, 'Wangge-2026!');
  await page.click(`${form} button[type=submit]`);
  await page.waitForFunction(() => window.riskmapField?.live.state === 'open');
  assert((await page.textContent('#who')) === username, 'the field page, as the new login');
  await context.close();
});

test('disabling a login from /admin ends its open big screen within seconds', async ({ browser }) => {
  const { username, password } = await newLogin();
  const screen = await bigScreen(browser, username, password);
  await mapReady(screen.page);
  const context = await browser.newContext(DESK);
  const admin = await context.newPage();
  await login(admin, '/admin', 'district-admin');
  const row = `tr[data-username="${username}"]`;
  await admin.waitForSelector(row);
  await admin.click(`${row} [data-act="disable"]`);
  await admin.waitForSelector('[data-testid="confirm"]');
  const says = await admin.textContent('[data-testid="confirm"]');
  assert(says.includes('停用后该账号立即下线'), `asked first: ${says}`);
  await admin.screenshot({ path: `${SHOTS}/admin-confirm-disable.png` });
  await admin.click('[data-testid="confirm"] [data-ok]');
  const disabledAt = Date.now();
  await admin.waitForSelector(`${row} [data-badge="disabled"]`);
  // Its big screen: back at the login form, saying the session ended.
  await screen.page.waitForSelector('[data-testid="session-ended"]', { timeout: 10_000 });
  const took = Date.now() - disabledAt;
  console.log(`     the big screen was back at the login form ${took} ms after the login was disabled`);
  assert(took < 5000, `within a few seconds, took ${took} ms`);
  assert(await screen.page.isVisible('form.login'), 'the login form shown');
  await screen.page.screenshot({ path: `${SHOTS}/login-session-ended.png` });
  // Enabled again, it can log in (the admin's confirm names the action).
  await admin.click(`${row} [data-act="enable"]`);
  await admin.click('[data-testid="confirm"] [data-ok]');
  await admin.waitForSelector(`${row} [data-badge="disabled"]`, { state: 'detached' });
  await token(username, password);
  // 重置密码: a generated one, to be changed at the next login.
  await admin.click(`${row} [data-act="reset"]`);
  await admin.click('[data-testid="reset-form"] [data-generate]');
  await admin.click('[data-testid="reset-form"] button[type=submit]');
  const reset = await eventually(() => admin.textContent('[data-testid="given-password"]').catch(() => null), { message: 'the password reset' });
  await admin.click('[data-testid="account-done"] button[type=submit]');
  await admin.waitForSelector(`${row} [data-badge="must_change"]`);
  const again = await fetch(`${BASE}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: reset }) });
  assert(again.ok && (await again.json()).user.must_change_password === true, 'the reset password works and must be changed');
  made = null;
  await screen.context.close();
  await context.close();
}, { timeoutMs: 90_000 });

test('a dispatcher opening /admin is told it is for administrators, with the way back', async ({ browser }) => {
  const context = await browser.newContext(DESK);
  const page = await context.newPage();
  await login(page, '/admin', 'dispatcher');
  const said = await page.textContent('[data-testid="not-admin"]', { timeout: 10_000 });
  assert(said.includes('此页面仅供系统管理员使用') && said.includes('派遣员'), `not for a dispatcher: ${said}`);
  assert((await page.getAttribute('[data-testid="not-admin"] a', 'href')) === './', 'a link back to the big screen');
  assert(!(await page.$('[data-testid="accounts"]')), 'no logins shown');
  await page.screenshot({ path: `${SHOTS}/admin-not-admin.png` });
  await context.close();
});

test('the city administrator’s /admin in English: the page, the create dialog and the password form', async ({ browser }) => {
  assert(ADMIN_PASSWORD, 'RISKMAP_ADMIN_PASSWORD is set (scripts/web-test.sh sets it)');
  const context = await browser.newContext(DESK);
  const page = await context.newPage();
  const errors = watchErrors(page);
  await login(page, '/admin', 'admin', ADMIN_PASSWORD);
  await page.waitForSelector('[data-testid="accounts"] tr[data-username="commander"]');
  assert((await page.textContent('[data-testid="admin-scope"]')).includes('全市'), 'the city administrator sees the whole city');
  await page.screenshot({ path: `${SHOTS}/admin-accounts-city.png`, fullPage: true });
  await page.click('[data-lang]');
  assert((await page.textContent('header h1')) === 'Risk Map · Administration', 'the title in English');
  const heads = await page.$$eval('[data-testid="accounts"] th', (th) => th.map((x) => x.textContent));
  assert(heads.join('|') === 'Username|Name|Role|Area|Staff member|Department|Status|Actions', `columns in English: ${heads}`);
  const chrome = await page.$$eval('header button:not([data-lang]), .toolbar button, .toolbar option[value=""], td.role, td.actions button, td.status .badge', (e) => e.map((x) => x.textContent).join(' '));
  assert(!HAN.test(chrome), `no Chinese left in the page's own words: ${chrome}`);
  await page.screenshot({ path: `${SHOTS}/admin-accounts-en.png`, fullPage: true });
  // The create dialog; a city-wide administrator may make another with no area.
  await page.click('[data-testid="create-account"]');
  const form = '[data-testid="account-form"]';
  await page.selectOption(`${form} select[name=role]`, 'admin');
  const top = await page.$$eval(`${form} [data-area] select[data-depth="0"] option`, (o) => o.map((x) => x.value));
  assert(top[0] === '', `"no area" offered for an administrator's login: ${top}`);
  await page.fill(`${form} input[name=username]`, 'new-admin');
  await page.click(`${form} [data-generate]`);
  const labels = await page.$$eval(`${form} label, ${form} .label, ${form} button, ${form} li`, (e) => e.map((x) => x.childNodes[0]?.textContent ?? '').join(' '));
  assert(!HAN.test(labels), `the dialog in English: ${labels}`);
  await page.screenshot({ path: `${SHOTS}/admin-create-en.png` });
  await page.click(`${form} [data-cancel]`);
  // The voluntary 修改密码 from the header, in English.
  await page.click('[data-password]');
  await page.waitForSelector('.modal [data-testid="password-form"]');
  assert((await page.textContent('.modal h1')) === 'Change password', 'the password form in English');
  await page.fill('.modal input[name=next]', 'short');
  await page.screenshot({ path: `${SHOTS}/password-change-en.png` });
  await page.click('.modal [data-cancel]');
  await page.click('[data-lang]');
  assert((await page.textContent('header h1')) === '风险一张图 · 系统管理', 'back to Chinese');
  assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
  await context.close();
});
