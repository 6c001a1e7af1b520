// 派遣 — an incident's details and flow log, the suitable staff and the
// cameras that can see it; one click takes an action or assigns a staff member.
// Each candidate says how old their position is; offline ones (no fix for the
// server's stale_after_s) are left out unless the dispatcher asks for them.
// Who owns it, 分流 and 督办 and their actions are drawn by orgActions.ts; where it
// came from, the citizen's rating and the public reply by intakeView.ts. The
// report's photos and each step's are thumbnails (shared/photos.ts).

import type { Api } from '../shared/api';
import { errorHtml } from '../shared/errors';
import { esc, formatDateTime, formatDistance, formatFixAge } from '../shared/format';
import { addTranslations, lang, t } from '../shared/i18n';
import { categoryName, named } from '../shared/names';
import { photoSlot, PhotoStrips } from '../shared/photos';
import type { Candidate, Candidates, CameraInfo, FlowLogEntry, Incident } from '../shared/types';
import { intakeHtml, mergeButtonHtml, replyFieldHtml, withReply } from './intakeView';
import { type OrgAction, orgActionBody, orgActionsHtml, orgBlocksHtml, orgDetailsHtml, type TransferTarget } from './orgActions';

addTranslations({
  zh: { 'incident.include_offline': '含离线人员', 'incident.offline_hint': '离线人员的位置已过时，派遣前请先电话确认' },
  en: { 'incident.include_offline': 'Include offline staff', 'incident.offline_hint': 'Offline staff were last seen long ago: call them before dispatching' },
});

/** One suitable staff member: who, how far and how old that position is, duty (offline said), assign. */
export function candidateRow(s: Candidate, canDispatch: boolean, l = lang()): string {
  const age = s.fix_age_s === undefined ? '' : `<small class="fix-age" data-testid="fix-age">${esc(formatFixAge(s.fix_age_s, l))}</small>`;
  const offline = s.stale ? `<small class="offline" data-testid="candidate-offline">${esc(t('staff.offline', l))}</small>` : '';
  return `<tr data-staff="${esc(s.id)}" class="duty-${s.duty}${s.stale ? ' stale' : ''}">
    <td>${esc(s.name)}<small>${esc(s.id)}</small></td><td>${esc(t(`role.${s.role}`, l))}</td>
    <td class="where">${formatDistance(s.distance_m)}${age}</td>
    <td class="grid">${named(s.grid_name, s.grid)}${s.same_grid ? ` <em>${esc(t('incident.same_grid', l))}</em>` : ''}</td>
    <td class="duty">${esc(t(`duty.${s.duty}`, l))}${offline}</td>
    <td>${canDispatch ? `<button class="assign" data-assign="${esc(s.id)}">${esc(t('incident.assign', l))}</button>` : ''}</td></tr>`;
}

/** Actions a dispatcher takes from this panel directly (dispatch goes per candidate). */
const PANEL_ACTIONS = ['accept', 'reject', 'verify', 'verify_fail', 'close', 'escalate', 'return', 'approve_extension', 'deny_extension'];

export interface DispatchPanelHooks {
  /** Called after any successful action, with the incident as it is now. */
  changed: (i: Incident) => void;
  /** Fly the map to a point and highlight it. */
  focus: (lon: number, lat: number) => void;
  /** Open the video wall on these cameras (the first nine), about `subject`. */
  videoWall: (subject: () => string, cams: CameraInfo[]) => void;
  /** 分转/下派: the areas of the login's subtree the incident can go to (not its owner). */
  transferTargets: (owner: string) => TransferTarget[];
}

export class DispatchPanel {
  private current: string | null = null;
  /** 含离线人员: kept from one incident to the next, as a dispatcher's choice. */
  private includeOffline = false;
  /** The cameras that see the open incident, nearest first, and what to call the wall. */
  private cameras: CameraInfo[] = [];
  private subject: () => string = () => '';
  /** The thumbnails of the report and of the flow log's steps. */
  private readonly photos: PhotoStrips;
  /** The photos of what is drawn, by slot: `incident`, `log-{seq}`. */
  private photoLists = new Map<string, string[]>();
  /** The incident drawn last: a redraw of the same one keeps what was being typed. */
  private drawn: string | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly hooks: DispatchPanelHooks,
  ) {
    this.photos = new PhotoStrips(api);
    el.addEventListener('click', (ev) => void this.onClick(ev));
    el.addEventListener('change', (ev) => {
      const box = ev.target as HTMLInputElement;
      if (box.name !== 'include-offline' || !this.current) return;
      this.includeOffline = box.checked;
      void this.open(this.current);
    });
  }

  get openId(): string | null {
    return this.current;
  }

  close(): void {
    this.current = null;
    this.drawn = null;
    this.photos.clear();
    this.el.hidden = true;
    this.el.innerHTML = '';
  }

  async open(id: string): Promise<void> {
    this.current = id;
    this.el.hidden = false;
    if (this.drawn !== id) {
      this.photos.clear();
      this.el.innerHTML = `<div class="loading">…</div>`;
    }
    try {
      const [incident, log, candidates] = await Promise.all([
        this.api.get<Incident>(`/api/incidents/${encodeURIComponent(id)}`),
        this.api.get<{ log: FlowLogEntry[] }>(`/api/incidents/${encodeURIComponent(id)}/log`),
        this.api.get<Candidates>(`/api/incidents/${encodeURIComponent(id)}/candidates`, { k: 8, include_stale: this.includeOffline || undefined }).catch(
          (): Candidates => ({ incident: id, staff: [], cameras: [] }),
        ),
      ]);
      if (this.current !== id) return;
      this.render(incident, log.log, candidates);
    } catch (e) {
      if (this.current !== id) return;
      this.photos.clear();
      this.drawn = null;
      this.el.innerHTML = errorHtml(e, 'load') + this.closeButton();
    }
  }

  /** Re-reads the open incident when a push says it changed. */
  refreshIfOpen(id: string): void {
    if (this.current === id && !this.el.querySelector('.busy-action')) void this.open(id);
  }

  private closeButton(): string {
    return `<button class="close" data-close>${esc(t('close'))} ✕</button>`;
  }

  private render(i: Incident, log: FlowLogEntry[], c: Candidates): void {
    const allowed = new Set(i.allowed ?? []);
    const canDispatch = allowed.has('dispatch');
    const actions = PANEL_ACTIONS.filter((a) => allowed.has(a))
      .map((a) => `<button class="action" data-action="${a}">${esc(t(`action.${a}`))}</button>`)
      .join('');
    const staffRows = c.staff.map((s) => candidateRow(s, canDispatch)).join('');
    // The wall shows the cameras that publish a stream (played, or said why not: offline, RTSP).
    const withStream = c.cameras.filter((cam) => cam.stream_url);
    const cameraRows = c.cameras
      .slice(0, 8)
      .map(
        (cam) =>
          `<li data-camera="${esc(cam.id)}" data-lon="${cam.lon}" data-lat="${cam.lat}">${esc(cam.name)} <small>${esc(cam.id)} · ${formatDistance(cam.distance_m ?? NaN)}${cam.online === false ? ` · ${esc(t('camera.offline'))}` : ''}</small></li>`,
      )
      .join('');
    const logRows = log
      .map(
        (e) =>
          `<li data-seq="${e.seq}"><span class="time">${formatDateTime(e.at_ms)}</span> <b>${esc(t(`action.${e.action}`))}</b> <span class="actor">${named(e.actor_name, e.actor)}</span>${e.comment ? ` — ${esc(e.comment)}` : ''}${photoSlot(`log-${e.seq}`, e.photos)}</li>`,
      )
      .join('');
    // A push redraws the open incident: what was being typed stays.
    const typed = (sel: string) => (this.drawn === i.id ? (this.el.querySelector<HTMLInputElement | HTMLTextAreaElement>(sel)?.value ?? '') : '');
    const comment = typed('.comment');
    const reply = typed('.reply');
    this.photoLists = new Map([['incident', i.photos ?? []], ...log.map((e): [string, string[]] => [`log-${e.seq}`, e.photos ?? []])]);
    this.el.innerHTML = `${this.closeButton()}
      <h2 class="warn-${i.warning}">${esc(categoryName(i))} <small data-testid="incident-id">${esc(i.id)}</small></h2>
      <dl>
        <dt>${esc(t('incident.state'))}</dt><dd data-testid="incident-state">${esc(t(`state.${i.state}`))}</dd>
        <dt>${esc(t('incident.priority'))}</dt><dd class="prio-${i.priority}">${esc(t(`priority.${i.priority}`))} · ${esc(t(`warning.${i.warning}`))}</dd>
        <dt>${esc(t('incident.grid'))}</dt><dd data-testid="incident-grid">${named(i.grid_name, i.grid)}</dd>
        <dt>${esc(t('incident.assignee'))}</dt><dd data-testid="incident-assignee">${i.assignee_staff ? named(i.assignee_name, i.assignee_staff) : i.assignee_department ? named(i.assignee_department_name, i.assignee_department) : '—'}</dd>
        <dt>${esc(t('incident.deadline'))}</dt><dd>${i.deadline_ms ? formatDateTime(i.deadline_ms) : '—'}</dd>
        ${orgDetailsHtml(i)}
      </dl>
      <p class="desc">${esc(i.description)}</p>
      ${photoSlot('incident', i.photos)}
      ${intakeHtml(i)}
      ${orgBlocksHtml(i, allowed)}
      <div class="actions">${actions}${mergeButtonHtml(i, allowed)}<input class="comment" placeholder="${esc(t('incident.comment'))}" value="${esc(comment)}" /></div>
      ${replyFieldHtml(allowed, reply)}
      ${orgActionsHtml(allowed, () => this.hooks.transferTargets(i.area))}
      <div class="error-slot"></div>
      <h3 class="with-option">${esc(t('incident.candidates'))}<label><input type="checkbox" name="include-offline" ${this.includeOffline ? 'checked' : ''}/> ${esc(t('incident.include_offline'))}</label></h3>
      ${c.staff.some((s) => s.stale) ? `<p class="notice">${esc(t('incident.offline_hint'))}</p>` : ''}
      <table class="candidates"><tbody>${staffRows || `<tr><td>${esc(t('none'))}</td></tr>`}</tbody></table>
      <h3 class="with-option">${esc(t('incident.cameras'))}${withStream.length ? `<button class="video-wall-open" data-video-wall data-testid="video-wall-open">▶ ${esc(t('video.wall'))} (${Math.min(withStream.length, 9)})</button>` : ''}</h3><ul class="cameras">${cameraRows || `<li>${esc(t('none'))}</li>`}</ul>
      <h3>${esc(t('incident.log'))}</h3><ol class="log">${logRows}</ol>`;
    this.photos.mount(this.el, (key) => this.photoLists.get(key));
    this.drawn = i.id;
    this.el.dataset.version = String(i.version);
    this.cameras = withStream;
    this.subject = () => `${categoryName(i)} ${i.id}`;
  }

  private async onClick(ev: Event): Promise<void> {
    const target = ev.target as HTMLElement;
    if (target.closest('[data-close]')) return this.close();
    if (target.closest('[data-video-wall]')) return this.hooks.videoWall(this.subject, this.cameras);
    const cam = target.closest<HTMLElement>('[data-camera]');
    if (cam) return this.hooks.focus(Number(cam.dataset.lon), Number(cam.dataset.lat));
    const actionBtn = target.closest<HTMLButtonElement>('[data-action],[data-assign],[data-dispatch-department],[data-org-action]');
    if (!actionBtn || !this.current) return;
    const id = this.current;
    const typed = this.el.querySelector<HTMLInputElement>('.comment')?.value ?? '';
    const comment = typed.trim() || undefined;
    const slot = this.el.querySelector('.error-slot');
    let body: Record<string, unknown>;
    if (actionBtn.dataset.orgAction) {
      const r = orgActionBody(actionBtn.dataset.orgAction as OrgAction, {
        comment: typed,
        area: this.el.querySelector<HTMLSelectElement>('[data-transfer-area]')?.value,
        hours: this.el.querySelector<HTMLInputElement>('[data-supervise-hours]')?.value,
      });
      if ('problem' in r) {
        if (slot) slot.innerHTML = `<p class="error" role="alert" data-testid="org-problem">${esc(r.problem)}</p>`;
        return;
      }
      body = r.body;
    } else if (actionBtn.dataset.dispatchDepartment) body = { action: 'dispatch', department: actionBtn.dataset.dispatchDepartment, comment };
    else if (actionBtn.dataset.assign) body = { action: 'dispatch', staff_id: actionBtn.dataset.assign, comment };
    else {
      body = withReply({ action: actionBtn.dataset.action, comment }, this.el.querySelector<HTMLTextAreaElement>('.reply')?.value ?? '');
      if (actionBtn.dataset.into) body.into = actionBtn.dataset.into;
    }
    const version = Number(this.el.dataset.version);
    if (Number.isFinite(version)) body.version = version;
    actionBtn.disabled = true;
    actionBtn.classList.add('busy-action');
    try {
      const updated = await this.api.post<Incident>(`/api/incidents/${encodeURIComponent(id)}/actions`, body);
      this.hooks.changed(updated);
      // Sent: the redraw starts the next step with empty fields.
      for (const f of this.el.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('.comment, .reply')) f.value = '';
      await this.open(id);
    } catch (e) {
      actionBtn.disabled = false;
      actionBtn.classList.remove('busy-action');
      if (slot) slot.innerHTML = errorHtml(e, 'action');
    }
  }
}
