// The incident drawer's organisation part (issue 15): who owns the incident
// (the command level and its area), the department it went to, 一网分流's
// proposed department with one-click 派至部门, the 督办 order, and the new
// actions — 分转/下派 (to an area of the login's subtree), 督办 (hours and
// the order) and 回复督办 — in the drawer's pattern: a button per allowed
// action, the shared 意见 box for the text.

import { esc, formatDateTime } from '../shared/format';
import { t } from '../shared/i18n';
import { named } from '../shared/names';
import type { AreaLevel, Incident } from '../shared/types';
import { fillIn } from './orgLabels';
import { openSupervision } from './queue';

export const ORG_ACTIONS = ['transfer', 'supervise', 'answer_supervision'] as const;
export type OrgAction = (typeof ORG_ACTIONS)[number];

/** An area an incident can be transferred to, with its depth under the login's area for indenting. */
export interface TransferTarget {
  code: string;
  name: string;
  level: AreaLevel;
  depth: number;
}

/** What the tree must answer for the transfer targets (screen/areaTree.ts's AreaTree does). */
export interface TreeLike {
  byCode: Map<string, { code: string; name: string; level: AreaLevel }>;
  childrenOf(code: string): { code: string; name: string; level: AreaLevel }[];
}

/** Command levels: incidents are owned by these, never by a community or a grid. */
const COMMAND_LEVELS: ReadonlySet<AreaLevel> = new Set(['city', 'district', 'street']);

/** The command centres of the login's subtree in reading order, without the incident's current owner. */
export function transferTargets(tree: TreeLike, root: string, currentOwner: string): TransferTarget[] {
  const out: TransferTarget[] = [];
  const walk = (code: string, depth: number) => {
    const a = tree.byCode.get(code);
    if (!a || !COMMAND_LEVELS.has(a.level)) return;
    if (a.code !== currentOwner) out.push({ code: a.code, name: a.name, level: a.level, depth });
    for (const c of tree.childrenOf(code)) walk(c.code, depth + 1);
  };
  walk(root, 0);
  return out;
}

export interface OrgInputs {
  comment: string;
  area?: string;
  hours?: string;
}

/** The body of an organisation action, or the sentence of what is missing. */
export function orgActionBody(action: OrgAction, v: OrgInputs): { body: Record<string, unknown> } | { problem: string } {
  const comment = v.comment.trim();
  switch (action) {
    case 'transfer':
      if (!v.area) return { problem: t('org.area_needed') };
      return { body: { action, area: v.area, ...(comment ? { comment } : {}) } };
    case 'supervise': {
      const hours = Number(v.hours);
      if (!Number.isFinite(hours) || hours < 1 || hours > 720) return { problem: t('org.hours_needed') };
      if (!comment) return { problem: fillIn(t('org.comment_needed'), { what: t('org.order_text') }) };
      return { body: { action, hours, comment } };
    }
    case 'answer_supervision':
      if (!comment) return { problem: fillIn(t('org.comment_needed'), { what: t('org.answer_text') }) };
      return { body: { action, comment } };
  }
}

/** The rows of the details list: owner, department, escalations. */
export function orgDetailsHtml(i: Incident): string {
  // The owning command centre (a grid's incident: its street).
  const centreName = i.owner_centre_name ?? i.area_name;
  const owner = i.owner_level
    ? `${esc(t(`level.${i.owner_level}`))} · ${named(centreName, i.owner_centre ?? i.area)}`
    : named(i.area_name, i.area);
  const dept = i.assignee_department ? named(i.assignee_department_name, i.assignee_department) : '—';
  const esc_n = i.escalations ?? 0;
  return `<dt>${esc(t('org.owner'))}</dt><dd data-testid="incident-owner">${owner}</dd>
    <dt>${esc(t('org.department'))}</dt><dd data-testid="incident-department">${dept}</dd>
    ${esc_n > 0 ? `<dt>${esc(t('org.escalations'))}</dt><dd data-testid="incident-escalations">${esc(fillIn(t('org.escalations_n'), { n: esc_n, c: i.clock_escalations ?? 0 }))}</dd>` : ''}`;
}

/** 分流建议 with 派至部门 (when dispatching is allowed), and the 督办 order. */
export function orgBlocksHtml(i: Incident, allowed: ReadonlySet<string>): string {
  const p = i.proposed_department;
  const proposed = p
    ? `<div class="org-proposed" data-testid="proposed-department"><span class="k">${esc(t('org.proposed'))}</span>
        <b data-code="${esc(p.code)}" title="${esc(p.code)}">${esc(p.name)}</b>
        ${allowed.has('dispatch') ? `<button class="action primary" data-dispatch-department="${esc(p.code)}" data-testid="dispatch-department">${esc(t('org.dispatch_department'))}</button>` : ''}</div>`
    : '';
  const s = i.supervision;
  const sup = s
    ? `<div class="org-supervision ${openSupervision(i) ? 'open' : 'answered'}" data-testid="supervision">
        <div><span class="badge supervised">${esc(t('org.supervision'))}</span> ${esc(fillIn(t('org.supervision_by'), { area: s.by_area_name ?? s.by_area }))} · <small>${esc(s.by)}</small></div>
        <p class="order">${esc(s.order)}</p>
        <div class="when">${esc(fillIn(t('org.supervision_due'), { t: formatDateTime(s.due_ms) }))} ·
          <span data-testid="supervision-state">${esc(s.answered_ms === null ? t('org.supervision_open') : fillIn(t('org.supervision_answered'), { t: formatDateTime(s.answered_ms) }))}</span></div>
        ${s.answer ? `<p class="answer">${esc(s.answer)}</p>` : ''}</div>`
    : '';
  return proposed + sup;
}

/** The buttons of the allowed organisation actions; transfer with its area select, supervise with its hours. */
export function orgActionsHtml(allowed: ReadonlySet<string>, targets: () => TransferTarget[]): string {
  const parts: string[] = [];
  if (allowed.has('transfer')) {
    const options = targets()
      .map((a) => `<option value="${esc(a.code)}">${'\u3000'.repeat(a.depth)}${esc(a.name)}</option>`)
      .join('');
    parts.push(`<span class="org-action"><select data-transfer-area aria-label="${esc(t('org.transfer_to'))}"><option value="">${esc(t('org.transfer_to'))}…</option>${options}</select>
      <button class="action" data-org-action="transfer">${esc(t('action.transfer'))}</button></span>`);
  }
  if (allowed.has('supervise')) {
    parts.push(`<span class="org-action"><label>${esc(t('org.hours'))} <input type="number" data-supervise-hours min="1" max="720" value="24" /></label>
      <button class="action" data-org-action="supervise">${esc(t('action.supervise'))}</button></span>`);
  }
  if (allowed.has('answer_supervision')) parts.push(`<button class="action" data-org-action="answer_supervision">${esc(t('action.answer_supervision'))}</button>`);
  return parts.length ? `<div class="actions org-actions" data-testid="org-actions">${parts.join('')}</div>` : '';
}
