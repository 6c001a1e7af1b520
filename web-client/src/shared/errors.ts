// What went wrong, in the page's language: the server's error responses
// (docs/protocol.md, "Errors") mapped to localized sentences. The server's own
// text (English, for developers) only goes into the element's title.

import { ApiError, PASSWORD_CHANGE_REQUIRED } from './api';
import { esc, formatClock } from './format';
import { addTranslations, t } from './i18n';
import { type PasswordRule, ruleLabel } from './passwordRules';

/** What the user was doing: the same status means different things in each. */
export type ErrorContext = 'login' | 'report' | 'action' | 'load' | 'password' | 'account' | 'duty' | 'sos' | 'department' | 'upload' | 'intake' | 'fence' | 'roster';

addTranslations({
  zh: {
    'err.bad_credentials': '用户名或密码错误',
    'err.throttled': '登录失败次数过多，请在 {s} 秒后（{at}）再试',
    'err.throttled_other': '请求过于频繁，请在 {s} 秒后（{at}）再试',
    'err.bad_request': '提交的内容有误，请检查后重试',
    'err.no_grid': '该位置不在本市任何网格内，无法上报',
    'err.forbidden': '您没有权限执行此操作',
    'err.report_forbidden': '您没有权限在该位置上报事件',
    'err.not_found': '未找到，或不在您的管辖范围内',
    'err.conflict': '事件状态已变化，此操作已不可用，请刷新后重试',
    'err.too_large': '内容过大，请精简后重试',
    'err.session': '登录已失效，请重新登录',
    'err.unavailable': '服务暂时不可用，请稍后重试',
    'err.server': '服务器出错，请稍后重试',
    'err.network': '网络连接失败，请检查网络后重试',
    colon: '：',
    'err.throttled_attempts': '尝试次数过多，请在 {s} 秒后（{at}）再试',
    'err.weak_password': '密码不符合规则',
    'err.wrong_password': '当前密码不正确',
    'err.password_change_required': '请先修改密码',
    'err.username_taken': '该用户名已被使用，请换一个',
    'err.account_forbidden': '您无权执行此操作，或所选区域超出您的管辖范围',
    'err.acct.self': '不能停用自己的账号，也不能修改自己的角色或管辖区域',
    'err.acct.own_password': '修改自己的密码请使用页头的“修改密码”',
    'err.acct.username': '用户名须为 3–64 位字母、数字或 . _ -',
    'err.acct.staff_needed': '网格员账号须绑定人员（填写人员编号）',
    'err.acct.no_staff': '没有该人员编号',
    'err.acct.staff_outside': '该人员的责任网格不在所选区域内',
    'err.acct.no_area': '只有系统管理员账号可以不绑定区域，请选择区域',
    'err.acct.bad_area': '没有该区域',
    'err.acct.name_empty': '姓名不能为空',
    'err.acct.city_wide': '只有全市管理员才能创建不绑定区域的账号',
    'err.acct.outside': '所选区域超出您的管辖范围',
    'err.duty_busy': '您正在处理任务，不能上岗或下岗：任务办结后自动恢复在岗',
    'err.duty_sos': '您正处于求助状态，不能上岗或下岗：求助处理结束后恢复',
    'err.duty_position': '当前位置未被服务器接受（时间或坐标有误），请检查手机时间与定位后重试',
    'err.duty_forbidden': '您无权更改该人员的在岗状态',
    'err.sos_changed': '该求助已有变化（已被他人认领或已结束），请查看最新状态',
    'err.sos_none': '没有进行中的求助（可能已由调度员处置完毕）',
    'err.sos_forbidden': '您无权处理该求助：只有本辖区的调度员、指挥长或管理员可以认领和处置',
    'err.sos_position': '当前位置未被服务器接受（时间或坐标有误），请检查手机时间与定位',
    'err.dept_forbidden': '您无权管理该部门：部门须在您的管辖范围内',
    'err.dept_invalid': '部门信息有误（编码、名称、类型或区域），请检查后重试',
    'err.dept_conflict': '该部门编码已被占用，请换一个',
    'err.photo_too_large': '照片过大（最大 8 MB），请换一张或降低相机分辨率',
    'err.photo_type': '不是可接受的图片（仅限 JPEG、PNG、WebP）',
    'err.photo_bad': '图片无法识别或已损坏',
    'err.photo_forbidden': '您无权上传照片',
    'err.intake_invalid': '接入源信息有误，请检查后重试',
    'err.intake_forbidden': '只有系统管理员可以管理接入源',
    'err.intake_state': '该回调当前不能重试（可能已送达或正在发送）',
    'err.fence_invalid': '围栏数据有误（几何、名称、提醒方式或编号），请检查文件后重试',
    'err.fence_forbidden': '只有系统管理员可以管理电子围栏，且围栏须在您的管辖范围内',
    'err.fence_none': '该围栏不存在或不在您的管辖范围内（可能已被删除）',
    'err.roster_invalid': '排班数据有误（网格、人员、日期或时间），请检查文件后重试',
    'err.roster_forbidden': '只有系统管理员可以设置排班，且网格须在您的管辖范围内',
  },
  en: {
    'err.bad_credentials': 'Wrong username or password',
    'err.throttled': 'Too many failed logins: try again in {s} s (at {at})',
    'err.throttled_other': 'Too many requests: try again in {s} s (at {at})',
    'err.bad_request': 'Something in the request is not valid; check it and try again',
    'err.no_grid': 'This place lies in none of the grids of the city: it cannot be reported',
    'err.forbidden': 'You may not do this',
    'err.report_forbidden': 'You may not report an incident at this place',
    'err.not_found': 'Not found, or not in your area',
    'err.conflict': 'The incident has changed and this action is no longer possible; reload and try again',
    'err.too_large': 'Too large; shorten it and try again',
    'err.session': 'Your session has ended; log in again',
    'err.unavailable': 'The service is unavailable for a moment; try again shortly',
    'err.server': 'Server error; try again shortly',
    'err.network': 'No connection to the server; check the network and try again',
    colon: ': ',
    'err.throttled_attempts': 'Too many attempts: try again in {s} s (at {at})',
    'err.weak_password': 'The password breaks a rule',
    'err.wrong_password': 'The current password is wrong',
    'err.password_change_required': 'Change your password first',
    'err.username_taken': 'This username is taken; choose another',
    'err.account_forbidden': 'You may not do this, or the area is outside yours',
    'err.acct.self': 'You cannot disable your own login or change its role or area',
    'err.acct.own_password': 'Change your own password with “Change password” in the header',
    'err.acct.username': 'A username is 3–64 letters, digits, . _ or -',
    'err.acct.staff_needed': 'A field login must be bound to a staff member (give the staff id)',
    'err.acct.no_staff': 'There is no staff member with this id',
    'err.acct.staff_outside': "The staff member's grid is not in the chosen area",
    'err.acct.no_area': "Only an administrator's login may have no area: choose one",
    'err.acct.bad_area': 'There is no such area',
    'err.acct.name_empty': 'The name must not be empty',
    'err.acct.city_wide': 'Only a city-wide administrator may create a login without an area',
    'err.acct.outside': 'The area is outside yours',
    'err.duty_busy': 'You are on a task and cannot check in or out: finishing it puts you back on duty',
    'err.duty_sos': 'You are in an SOS and cannot check in or out: that ends once the SOS is dealt with',
    'err.duty_position': 'The server refused your position (bad time or coordinates); check the clock and location of the phone and try again',
    'err.duty_forbidden': "You may not change this staff member's duty",
    'err.sos_changed': 'This SOS has changed (taken by someone else, or over): see where it stands now',
    'err.sos_none': 'No SOS is running (a dispatcher may have closed it)',
    'err.sos_forbidden': 'You may not handle this SOS: dispatchers, commanders and administrators of the area acknowledge and close it',
    'err.sos_position': 'The server refused your position (bad time or coordinates); check the clock and location of the phone',
    'err.dept_forbidden': 'You may not manage this department: it must lie in your area',
    'err.dept_invalid': 'Something in the department (code, name, kind or area) is not valid; check it and try again',
    'err.dept_conflict': 'This department code is taken; choose another',
    'err.photo_too_large': 'The photo is too large (8 MB at most): pick another or lower the camera resolution',
    'err.photo_type': 'Not an accepted image (JPEG, PNG or WebP only)',
    'err.photo_bad': 'The image cannot be read or is damaged',
    'err.photo_forbidden': 'You may not upload photos',
    'err.intake_invalid': 'Something in the intake source is not valid; check it and try again',
    'err.intake_forbidden': 'Only administrators manage intake sources',
    'err.intake_state': 'This delivery cannot be retried now (delivered already, or being sent)',
    'err.fence_invalid': 'Something in the fences (geometry, name, detect or id) is not valid; check the file and try again',
    'err.fence_forbidden': 'Only administrators manage geofences, and each must lie in their area',
    'err.fence_none': 'There is no such fence in your area (it may have been deleted)',
    'err.roster_invalid': 'Something in the roster (grid, staff, days or times) is not valid; check the file and try again',
    'err.roster_forbidden': 'Only administrators set the roster, and each grid must lie in their area',
  },
});

function waitText(key: string, seconds: number, now: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  return t(key).replace('{s}', String(s)).replace('{at}', formatClock(now + s * 1000));
}

// The server answers one code per status (bad_request, forbidden); which rule
// a login's request broke is only in its English message. These patterns name
// the rule in the page's language; anything else gets the status's sentence.
const ACCOUNT_DETAILS: readonly [RegExp, string][] = [
  [/own login/i, 'err.acct.self'],
  [/your own password/i, 'err.acct.own_password'],
  [/^username/i, 'err.acct.username'],
  [/needs staff_id/i, 'err.acct.staff_needed'],
  [/no staff member/i, 'err.acct.no_staff'],
  [/grid is outside area/i, 'err.acct.staff_outside'],
  [/may have no area/i, 'err.acct.no_area'],
  [/city-wide login/i, 'err.acct.city_wide'],
  [/outside your area/i, 'err.acct.outside'],
  [/no area/i, 'err.acct.bad_area'],
  [/display_name is empty/i, 'err.acct.name_empty'],
];

// The same for weak_password: which rule (server/src/identity/password.rs).
const PASSWORD_DETAILS: readonly [RegExp, PasswordRule][] = [
  [/\d+ characters/i, 'length'],
  [/lowercase|kinds/i, 'kinds'],
  [/username/i, 'username'],
  [/current|same|differ/i, 'differs'],
];

function detail<K>(message: string, table: readonly [RegExp, K][]): K | null {
  return table.find(([re]) => re.test(message))?.[1] ?? null;
}

function weakPassword(message: string): string {
  const rule = detail(message, PASSWORD_DETAILS);
  return rule ? `${t('err.weak_password')}${t('colon')}${ruleLabel(rule)}` : t('err.weak_password');
}

/** One localized sentence for an error, whatever threw it. */
export function errorMessage(e: unknown, ctx: ErrorContext, now = Date.now()): string {
  if (!(e instanceof ApiError)) return t('err.network');
  if (e.code === 'weak_password') return weakPassword(e.message);
  if (e.code === 'wrong_password') return t('err.wrong_password');
  if (e.code === PASSWORD_CHANGE_REQUIRED) return t('err.password_change_required');
  if (ctx === 'duty') {
    // A task or an SOS owns the status (409 says which); a 400 can only be the position we sent.
    if (e.status === 409) return t(e.state === 'sos' ? 'err.duty_sos' : 'err.duty_busy');
    if (e.status === 400) return t('err.duty_position');
    if (e.status === 403) return t('err.duty_forbidden');
  }
  if (ctx === 'sos') {
    // 409: someone else took or ended it first; 404: nothing running (or not in this area).
    if (e.status === 409) return t('err.sos_changed');
    if (e.status === 404) return t('err.sos_none');
    if (e.status === 403) return t('err.sos_forbidden');
    if (e.status === 400) return t('err.sos_position');
  }
  if (ctx === 'department') {
    if (e.status === 403) return t('err.dept_forbidden');
    if (e.status === 400 || e.status === 422) return t('err.dept_invalid');
    if (e.status === 409) return t('err.dept_conflict');
  }
  if (ctx === 'upload') {
    if (e.status === 413) return t('err.photo_too_large');
    if (e.status === 415) return t('err.photo_type');
    if (e.status === 400) return t('err.photo_bad');
    if (e.status === 403) return t('err.photo_forbidden');
  }
  if (ctx === 'intake') {
    if (e.status === 400 || e.status === 422) return t('err.intake_invalid');
    if (e.status === 403) return t('err.intake_forbidden');
    if (e.status === 409) return t('err.intake_state');
  }
  if (ctx === 'fence') {
    if (e.status === 400 || e.status === 422) return t('err.fence_invalid');
    if (e.status === 403) return t('err.fence_forbidden');
    if (e.status === 404) return t('err.fence_none');
  }
  if (ctx === 'roster') {
    if (e.status === 400 || e.status === 422) return t('err.roster_invalid');
    if (e.status === 403) return t('err.roster_forbidden');
  }
  const account = ctx === 'account' ? detail(e.message, ACCOUNT_DETAILS) : null;
  if (account && (e.status === 400 || e.status === 403)) return t(account);
  switch (e.status) {
    case 400:
      return ctx === 'report' && /no grid/i.test(e.message) ? t('err.no_grid') : t('err.bad_request');
    case 401:
      return ctx === 'login' ? t('err.bad_credentials') : t('err.session');
    case 403:
      if (ctx === 'account') return t('err.account_forbidden');
      return ctx === 'report' ? t('err.report_forbidden') : t('err.forbidden');
    case 404:
      return t('err.not_found');
    case 409:
      return ctx === 'account' ? t('err.username_taken') : t('err.conflict');
    case 413:
      return t('err.too_large');
    case 429:
      return waitText(ctx === 'login' ? 'err.throttled' : ctx === 'password' ? 'err.throttled_attempts' : 'err.throttled_other', e.retryAfterS ?? 1, now);
    case 503:
      return t('err.unavailable');
    default:
      return e.status >= 500 ? t('err.server') : t('err.bad_request');
  }
}

/**
 * The sentence followed by the server's own words, for errors whose reason
 * the user can act on (a refused photo, a refused source): the new endpoints
 * answer `{"error": "<sentence>"}`, which is worth reading as it is.
 */
export function errorWithDetail(e: unknown, ctx: ErrorContext): string {
  const sentence = errorMessage(e, ctx);
  const detail = e instanceof ApiError && e.status < 500 ? e.message.trim().slice(0, 300) : '';
  // A bare code (`too_large`) or an HTML page says nothing more than the sentence.
  const says = detail && !/^[a-z0-9_]+$/.test(detail) && !detail.startsWith('<');
  return says ? `${sentence}${t('colon')}${detail}` : sentence;
}

/** The inside of an error element: the sentence, with the server's detail on hover. */
export function showError(el: Element, e: unknown, ctx: ErrorContext): void {
  el.textContent = errorMessage(e, ctx);
  el.classList.add('error');
  el.setAttribute('role', 'alert');
  if (e instanceof ApiError) {
    el.setAttribute('title', `${e.status} ${e.code}: ${e.message}`);
    el.setAttribute('data-status', String(e.status));
  }
}

/** The same as an HTML string. */
export function errorHtml(e: unknown, ctx: ErrorContext): string {
  const detail = e instanceof ApiError ? `${e.status} ${e.code}: ${e.message}` : String(e);
  const status = e instanceof ApiError ? ` data-status="${e.status}"` : '';
  return `<p class="error" role="alert" title="${esc(detail)}"${status}>${esc(errorMessage(e, ctx))}</p>`;
}
