// Where location sharing stands, as the field worker should read it: a denied
// permission never looks like sharing, and says how to put it right.

import { addTranslations, t } from '../shared/i18n';

export type GeoState = 'off' | 'waiting' | 'sharing' | 'denied' | 'unavailable';

addTranslations({
  zh: {
    'geo.off': '未共享位置',
    'geo.waiting': '正在获取位置…',
    'geo.sharing': '位置共享中',
    'geo.denied': '定位权限被拒绝，位置未共享',
    'geo.unavailable': '无法获取位置',
    'geo.help.denied': '请在浏览器地址栏左侧的网站设置（或手机“设置 › 隐私 › 定位服务”）中允许本网站使用位置信息，然后点“共享位置”重试。',
    'geo.help.unavailable': '请打开手机的定位服务（GPS），到开阔处后点“共享位置”重试。',
    'field.fix_refused': '服务器未接受上一个位置（时间或坐标有误），请检查手机时间与定位。',
  },
  en: {
    'geo.off': 'Location not shared',
    'geo.waiting': 'Getting a position…',
    'geo.sharing': 'Sharing location',
    'geo.denied': 'Location permission denied: not sharing',
    'geo.unavailable': 'No position available',
    'geo.help.denied': 'Allow this site to use your location in the site settings of the browser (left of the address bar) or in the Settings of the phone › Privacy › Location, then tap "Share location" again.',
    'geo.help.unavailable': 'Turn on the location service of the phone (GPS), move into the open, then tap "Share location" again.',
    'field.fix_refused': 'The server refused the last position (bad time or coordinates); check the clock and location of the phone.',
  },
});

/** How to put it right, or nothing when there is nothing to fix. */
export function geoHelp(s: GeoState): string {
  if (s === 'denied') return t('geo.help.denied');
  if (s === 'unavailable') return t('geo.help.unavailable');
  return '';
}
