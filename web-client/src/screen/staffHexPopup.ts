// A staff hexagon's popup: how many stand in it, by role and by duty, and how
// many of them are offline — the live counts at the moment of the click.

import { esc } from '../shared/format';
import { addTranslations, type Lang, lang, t } from '../shared/i18n';
import { DUTIES, type HexFigures, ROLE_KEYS } from './staffAggregate';

addTranslations({
  zh: {
    'staff_hex.title': '该区域人员 {n} 人',
    'staff_hex.by_role': '按角色',
    'staff_hex.by_duty': '按状态',
    'staff_hex.hint': '放大至街道级显示每个人',
    'role.unknown': '未知角色',
  },
  en: {
    'staff_hex.title': '{n} staff in this hexagon',
    'staff_hex.by_role': 'By role',
    'staff_hex.by_duty': 'By duty',
    'staff_hex.hint': 'Zoom in to street level for each person',
    'role.unknown': 'Unknown role',
  },
});

/** The popup's HTML: rows only for the roles and duties present, offline last. */
export function staffHexHtml(cell: string, f: HexFigures, l: Lang = lang()): string {
  const rows = (pairs: [string, number][]) =>
    pairs
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `<tr><td>${esc(k)}</td><td class="n">${n}</td></tr>`)
      .join('');
  const byRole = rows(ROLE_KEYS.map((r) => [t(`role.${r}`, l), f.byRole.get(r) ?? 0]));
  const byDuty = rows([...DUTIES.map((d): [string, number] => [t(`duty.${d}`, l), f.byDuty.get(d) ?? 0]), [t('staff.offline', l), f.offline]]);
  return `<div class="staff-hex-popup" data-testid="staff-hex-popup" data-cell="${esc(cell)}" data-n="${f.n}">
    <b>${esc(t('staff_hex.title', l).replace('{n}', String(f.n)))}</b>
    <table><tbody><tr><th colspan="2">${esc(t('staff_hex.by_role', l))}</th></tr>${byRole}
    <tr><th colspan="2">${esc(t('staff_hex.by_duty', l))}</th></tr>${byDuty}</tbody></table>
    <small>${esc(t('staff_hex.hint', l))}</small></div>`;
}
