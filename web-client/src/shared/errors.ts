// What went wrong, in the page's language: the server's error responses
// (docs/protocol.md, "Errors") mapped to localized sentences. The server's own
// text (English, for developers) only goes into the element's title.

import { ApiError } from './api';
import { esc, formatClock } from './format';
import { addTranslations, t } from './i18n';

/** What the user was doing: the same status means different things in each. */
export type ErrorContext = 'login' | 'report' | 'action' | 'load';

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
  },
});

function waitText(key: string, seconds: number, now: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  return t(key).replace('{s}', String(s)).replace('{at}', formatClock(now + s * 1000));
}

/** One localized sentence for an error, whatever threw it. */
export function errorMessage(e: unknown, ctx: ErrorContext, now = Date.now()): string {
  if (!(e instanceof ApiError)) return t('err.network');
  switch (e.status) {
    case 400:
      return ctx === 'report' && /no grid/i.test(e.message) ? t('err.no_grid') : t('err.bad_request');
    case 401:
      return ctx === 'login' ? t('err.bad_credentials') : t('err.session');
    case 403:
      return ctx === 'report' ? t('err.report_forbidden') : t('err.forbidden');
    case 404:
      return t('err.not_found');
    case 409:
      return t('err.conflict');
    case 413:
      return t('err.too_large');
    case 429:
      return waitText(ctx === 'login' ? 'err.throttled' : 'err.throttled_other', e.retryAfterS ?? 1, now);
    case 503:
      return t('err.unavailable');
    default:
      return e.status >= 500 ? t('err.server') : t('err.bad_request');
  }
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
