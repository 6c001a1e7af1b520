// Entry point of the field page (/field): 上岗/下岗, location sharing, my
// tasks, and reporting a new incident where I stand. Phone-sized.

import '../styles/field.css';
import { Api, ApiError } from '../shared/api';
import { errorHtml, showError } from '../shared/errors';
import { esc, formatClock } from '../shared/format';
import { haversine, type Position } from '../shared/geo';
import { initLang, lang, onLangChange, setLang, t } from '../shared/i18n';
import { LiveConnection, type LiveState } from '../shared/live';
import { ensureSession } from '../shared/loginForm';
import { bindPasswordButton } from '../shared/passwordForm';
import { confirmSession, endSession, logout, type Session, SessionStore } from '../shared/session';
import type { CategoryNode, Incident, ServerMessage } from '../shared/types';
import { DutyControl } from './duty';
import { FixSharer } from './fixSharer';
import { geoHelp, type GeoState } from './geoState';
import { doneRow, latLon, taskCard } from './taskCard';
import { mergeDone, mergeTask } from './tasks';

const INTERVALS_S = [5, 10, 30, 60];

class FieldPage {
  tasks: Incident[] = [];
  /** 已办 — tasks I finished, newest first. */
  done: Incident[] = [];
  /** Where location sharing stands, shown as it is (never "sharing" when denied). */
  geo: GeoState = 'off';
  /** Grid outlines for the task cards' locator maps, by grid code (null: not visible to me). */
  private outlines = new Map<string, Position[] | null>();
  readonly sharer = new FixSharer(10_000);
  private watchId: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastAck: { at: number; applied: number } | null = null;
  private fixRefused = '';
  /** Where I was when the task cards' distances were drawn. */
  private cardsDrawnAt: Position | null = null;
  private categories: CategoryNode[] = [];
  private liveState: LiveState = 'closed';
  private sendSeq = 0;
  private inFlight = new Map<string, Parameters<FixSharer['requeue']>[0]>();
  /**
   * Notes being typed, by incident: the task list is redrawn whenever an
   * incident in my grid changes, and a half-written note must survive that.
   */
  private drafts = new Map<string, string>();
  readonly live: LiveConnection;
  /** 上岗/下岗; null for a login bound to no staff member (it has no duty). */
  readonly duty: DutyControl | null;
  /** Tasks pushed while the page was open, for the banner and the tests. */
  pushed = 0;

  constructor(
    private readonly api: Api,
    readonly session: Session,
  ) {
    const staffId = session.user.staff_id;
    const dutyEl = document.getElementById('duty')!;
    dutyEl.hidden = !staffId;
    this.duty = staffId
      ? new DutyControl(dutyEl, api, staffId, {
          position: () => this.sharer.lastReading,
          sharing: () => this.geo === 'sharing',
        })
      : null;
    this.live = new LiveConnection({
      token: session.token,
      onMessage: (m) => this.onMessage(m),
      onState: (s) => {
        this.liveState = s;
        this.renderHeader();
        // Whatever was pushed while the connection was down is read again.
        if (s === 'open') void this.duty?.load();
      },
      onDrop: () => confirmSession(api),
    });
    // Incident changes in my grid (my tasks among them); tasks elsewhere come
    // as `task` pushes. The staff layer brings my own duty changes (a
    // dispatcher checking me out, a task making me busy) as they happen; the
    // server sends those where I stand in my grid, and the status is read
    // again on every reconnect and after each of my task actions.
    this.live.subscribe({ area: session.user.area, layers: staffId ? ['incidents', 'staff'] : ['incidents'] });
    this.live.start();
    onLangChange(() => this.renderAll());
    document.getElementById('tasks')!.addEventListener('click', (ev) => void this.onTaskClick(ev));
    document.getElementById('tasks')!.addEventListener('input', (ev) => {
      const area = ev.target as HTMLTextAreaElement;
      const id = area.closest<HTMLElement>('[data-task]')?.dataset.task;
      if (id) this.drafts.set(id, area.value);
    });
    document.getElementById('location')!.addEventListener('click', (ev) => this.onLocationClick(ev));
    document.getElementById('location')!.addEventListener('change', (ev) => {
      const s = ev.target as HTMLSelectElement;
      if (s.name === 'interval') this.sharer.intervalMs = Number(s.value) * 1000;
    });
    document.getElementById('report')!.addEventListener('submit', (ev) => void this.onReport(ev));
    this.renderAll();
    void this.loadTasks();
    void this.loadCategories();
  }

  private async loadTasks(): Promise<void> {
    try {
      const r = await this.api.get<{ incidents: Incident[] }>('/api/incidents', { mine: true, open: true, limit: 100 });
      for (const i of r.incidents) this.tasks = mergeTask(this.tasks, i, this.session.user.staff_id);
      const d = await this.api.get<{ incidents: Incident[] }>('/api/incidents', { mine: true, state: 'handled,verified,closed', limit: 20 });
      for (const i of d.incidents) this.done = mergeDone(this.done, i, this.session.user.staff_id);
    } catch {
      // no incident API on this server yet
    }
    this.renderTasks();
  }

  private async loadCategories(): Promise<void> {
    try {
      const r = await this.api.get<{ categories: CategoryNode[] }>('/api/incidents/categories');
      this.categories = r.categories;
    } catch {
      this.categories = [];
    }
    this.renderReport();
  }

  private onMessage(m: ServerMessage): void {
    const me = this.session.user.staff_id;
    if (m.type === 'task') {
      this.pushed++;
      this.track(m.incident);
      this.renderTasks(m.incident.id);
      navigator.vibrate?.(200);
      // The task made me busy.
      void this.duty?.load();
    } else if (m.type === 'staff_update' && m.staff.id === me) {
      this.duty?.set(m.staff.duty);
    } else if (m.type === 'staff_moves' || m.type === 'snapshot') {
      // Colleagues in my grid come too; only my own status matters here.
      const mine = m.type === 'snapshot' ? m.staff?.find((s) => s.id === me) : m.moves.find((s) => s.id === me);
      if (mine?.duty) this.duty?.set(mine.duty);
    } else if (m.type === 'incident') {
      this.track(m.incident);
      this.renderTasks();
    } else if (m.type === 'ack') {
      this.inFlight.delete(String(m.id));
      this.lastAck = { at: Date.now(), applied: m.applied };
      this.renderLocation();
    } else if (m.type === 'error' && m.id !== undefined && this.inFlight.has(String(m.id))) {
      // Refused (e.g. out of range): dropped, not retried; the reason is shown.
      this.inFlight.delete(String(m.id));
      this.fixRefused = t('field.fix_refused');
      this.renderLocation();
    }
  }

  /** Files an incident under my tasks or my 已办 list. */
  private track(i: Incident): void {
    const me = this.session.user.staff_id;
    this.tasks = mergeTask(this.tasks, i, me);
    this.done = mergeDone(this.done, i, me);
  }

  // ---- location sharing ---------------------------------------------------

  /** What the browser already knows about the location permission, shown before any click. */
  async checkPermission(): Promise<void> {
    try {
      const p = await navigator.permissions.query({ name: 'geolocation' });
      const apply = () => {
        if (p.state === 'denied') {
          if (this.watchId !== null) this.stopSharing();
          this.geo = 'denied';
        } else if (this.geo === 'denied') this.geo = 'off';
        this.renderLocation();
      };
      p.onchange = apply;
      if (p.state === 'denied') apply();
    } catch {
      // no Permissions API: the first watchPosition answer tells
    }
  }

  private onLocationClick(ev: Event): void {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-share]');
    if (!b) return;
    if (this.watchId === null) this.startSharing();
    else this.stopSharing();
  }

  startSharing(): void {
    if (!('geolocation' in navigator)) {
      this.geo = 'unavailable';
      this.renderLocation();
      return;
    }
    this.geo = 'waiting';
    this.watchId = navigator.geolocation.watchPosition(
      (p) => {
        this.geo = 'sharing';
        this.sharer.read({
          lon: p.coords.longitude,
          lat: p.coords.latitude,
          t: p.timestamp || Date.now(),
          accuracy: p.coords.accuracy,
          speed: p.coords.speed,
          heading: p.coords.heading,
        });
        this.renderLocation();
        // The cards' distances follow me, redrawn once I have moved a little.
        const moved = !this.cardsDrawnAt || haversine(this.cardsDrawnAt, [p.coords.longitude, p.coords.latitude]) > 15;
        if (moved && this.tasks.length) this.renderTasks();
        this.flush();
      },
      (e) => {
        if (e.code === e.PERMISSION_DENIED) {
          // Nothing will come: stop, and say so (the button offers to try again).
          this.stopSharing();
          this.geo = 'denied';
        } else {
          this.geo = e.code === e.TIMEOUT ? 'waiting' : 'unavailable';
        }
        this.renderLocation();
      },
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30_000 },
    );
    this.timer = setInterval(() => this.flush(), 1000);
    this.renderLocation();
  }

  stopSharing(): void {
    if (this.watchId !== null) navigator.geolocation.clearWatch(this.watchId);
    if (this.timer) clearInterval(this.timer);
    this.watchId = null;
    this.timer = null;
    this.geo = 'off';
    this.renderLocation();
  }

  /** Sends what is due: over /ws when connected, else as a REST batch; undelivered fixes wait. */
  private flush(): void {
    const fixes = this.sharer.due(Date.now());
    if (fixes.length === 0) return;
    const id = `f${++this.sendSeq}`;
    if (this.live.send(fixes.length === 1 ? { type: 'fix', id, ...fixes[0] } : { type: 'fixes', id, fixes })) {
      this.inFlight.set(id, fixes);
      return;
    }
    this.api
      .post<{ applied: number }>('/api/fixes', { fixes })
      .then((r) => {
        this.lastAck = { at: Date.now(), applied: r.applied };
        this.renderLocation();
      })
      .catch((e) => {
        // 4xx: the batch is refused as a whole and would be refused again.
        if (!(e instanceof ApiError) || e.status >= 500) this.sharer.requeue(fixes);
      });
  }

  // ---- tasks --------------------------------------------------------------

  private async onTaskClick(ev: Event): Promise<void> {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-action]');
    if (!b) return;
    const card = b.closest<HTMLElement>('[data-task]')!;
    const id = card.dataset.task!;
    const note = card.querySelector<HTMLTextAreaElement>('textarea')?.value.trim() ?? '';
    const task = this.tasks.find((x) => x.id === id);
    b.disabled = true;
    try {
      const updated = await this.api.post<Incident>(`/api/incidents/${encodeURIComponent(id)}/actions`, {
        action: b.dataset.action,
        comment: note || undefined,
        version: task?.version,
      });
      this.track(updated);
      if (b.dataset.action === 'handle') this.drafts.delete(id);
      this.renderTasks();
      // Handling frees me (在岗 again).
      void this.duty?.load();
    } catch (e) {
      b.disabled = false;
      const err = card.querySelector('.error');
      if (err) showError(err, e, 'action');
    }
  }

  // ---- reporting --------------------------------------------------------------

  private async onReport(ev: Event): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const data = new FormData(form);
    const pos = this.sharer.lastReading;
    const out = form.querySelector('.result')!;
    out.className = 'result';
    if (!pos) {
      out.className = 'result error';
      out.textContent = t('field.no_position');
      return;
    }
    try {
      const i = await this.api.post<Incident>('/api/incidents', {
        category: data.get('category'),
        priority: data.get('priority'),
        source: 'patrol',
        description: String(data.get('description') ?? ''),
        lon: pos.lon,
        lat: pos.lat,
      });
      out.innerHTML = `${esc(t('field.reported'))}: <b data-testid="reported-id">${esc(i.id)}</b><br/><span data-testid="reported-place">${esc(t('task.where'))}: ${esc(i.grid_name ?? i.grid)} (${latLon(i.lon, i.lat)})</span>`;
      form.reset();
    } catch (e) {
      out.outerHTML = errorHtml(e, 'report').replace('class="error"', 'class="result error"');
    }
  }

  // ---- rendering --------------------------------------------------------------

  renderAll(): void {
    document.title = t('field_title');
    document.querySelectorAll<HTMLElement>('[data-i18n]').forEach((e) => (e.textContent = t(e.dataset.i18n!)));
    (document.querySelector('[data-lang]') as HTMLElement).textContent = t('lang_switch');
    (document.querySelector('[data-logout]') as HTMLElement).textContent = t('logout');
    const who = document.getElementById('who')!;
    who.textContent = this.session.user.display_name || this.session.user.username;
    who.title = [this.session.user.username, this.session.user.staff_id].filter(Boolean).join(' · ');
    this.renderHeader();
    this.duty?.render();
    this.renderLocation();
    this.renderTasks();
    this.renderReport();
  }

  private renderHeader(): void {
    const el = document.getElementById('live')!;
    el.className = `live live-${this.liveState}`;
    el.dataset.state = this.liveState;
    el.textContent = t(`live.${this.liveState}`);
  }

  private renderLocation(): void {
    const r = this.sharer.lastReading;
    const sharing = this.watchId !== null;
    const interval = this.sharer.intervalMs / 1000;
    const el = document.getElementById('location')!;
    el.dataset.geo = this.geo;
    const help = geoHelp(this.geo);
    el.innerHTML = `
      <button data-share class="${sharing ? 'on' : ''}">${esc(sharing ? t('field.stop') : t('field.share'))}</button>
      <span class="state geo-${this.geo}" data-testid="geo-state">${esc(t(`geo.${this.geo}`))}</span>
      <label>${esc(t('field.interval'))} <select name="interval">${INTERVALS_S.map((s) => `<option value="${s}" ${s === interval ? 'selected' : ''}>${s} s</option>`).join('')}</select></label>
      ${help ? `<p class="error geo-help" role="alert" data-testid="geo-help">${esc(help)}</p>` : ''}
      <dl>
        <dt>${esc(t('field.accuracy'))}</dt><dd data-testid="accuracy">${r?.accuracy != null ? `±${Math.round(r.accuracy)} m` : '—'}</dd>
        <dt>${esc(t('field.last_fix'))}</dt><dd>${r ? `${formatClock(r.t)} · ${latLon(r.lon, r.lat)}` : esc(t('field.no_position'))}</dd>
        <dt>${esc(t('field.acked'))}</dt><dd data-testid="acked">${this.lastAck ? formatClock(this.lastAck.at) : '—'}${this.sharer.pendingCount ? ` (+${this.sharer.pendingCount})` : ''}</dd>
      </dl>
      <p class="error">${esc(this.fixRefused)}</p>`;
    // Its hint asks for the location while I am on duty without sharing it.
    this.duty?.render();
  }

  private renderTasks(highlight?: string): void {
    const el = document.getElementById('tasks')!;
    // Keep the caret where it was if the note being typed is redrawn.
    const focused = document.activeElement instanceof HTMLTextAreaElement ? document.activeElement.closest<HTMLElement>('[data-task]')?.dataset.task : undefined;
    const r = this.sharer.lastReading;
    const me: Position | null = r ? [r.lon, r.lat] : null;
    this.cardsDrawnAt = me;
    const active = this.tasks.length
      ? this.tasks
          .map((i) => taskCard(i, { me, outline: this.outline(i.grid), draft: this.drafts.get(i.id) ?? '', highlight: i.id === highlight }))
          .join('')
      : `<p class="empty">${esc(t('field.no_tasks'))}</p>`;
    const done = this.done.length ? `<ul>${this.done.map(doneRow).join('')}</ul>` : `<p class="empty">${esc(t('task.no_done'))}</p>`;
    el.innerHTML = `${active}<section class="done" data-testid="done"><h3>${esc(t('task.done'))} (${this.done.length})</h3>${done}</section>`;
    if (focused) {
      const area = el.querySelector<HTMLTextAreaElement>(`[data-task="${CSS.escape(focused)}"] textarea`);
      area?.focus();
      area?.setSelectionRange(area.value.length, area.value.length);
    }
  }

  /** A grid's outline for the locator map; fetched once, drawn on the next redraw. */
  private outline(grid: string): Position[] | null {
    if (this.outlines.has(grid)) return this.outlines.get(grid) ?? null;
    this.outlines.set(grid, null);
    this.api
      .get<{ geometry: { type: string; coordinates: unknown } }>(`/ogc/collections/areas/items/${encodeURIComponent(grid)}`)
      .then((f) => {
        const g = f.geometry;
        const ring = (g.type === 'Polygon' ? (g.coordinates as Position[][])[0] : (g.coordinates as Position[][][])[0]?.[0]) ?? null;
        this.outlines.set(grid, ring);
        if (ring) this.renderTasks();
      })
      .catch(() => undefined);
    return null;
  }

  private renderReport(): void {
    const el = document.getElementById('report')!;
    const name = (c: CategoryNode) => (lang() === 'en' && c.name_en ? c.name_en : c.name);
    const options = this.categories
      .map((major) => `<optgroup label="${esc(name(major))}">${(major.children ?? []).map((c) => `<option value="${esc(c.code)}">${esc(name(c))}</option>`).join('')}</optgroup>`)
      .join('');
    el.innerHTML = `<h2>${esc(t('field.report'))}</h2><form>
      <select name="category" required>${options}</select>
      <select name="priority">${(['normal', 'urgent', 'emergency'] as const).map((p) => `<option value="${p}">${esc(t(`priority.${p}`))}</option>`).join('')}</select>
      <textarea name="description" placeholder="${esc(t('field.description'))}" required></textarea>
      <button type="submit">${esc(t('field.report_here'))}</button>
      <p class="result"></p></form>`;
  }
}

declare global {
  interface Window {
    riskmapField?: FieldPage;
  }
}

async function main(): Promise<void> {
  initLang();
  const api = new Api();
  const store = new SessionStore('riskmap.field.session');
  api.onUnauthorized = () => endSession(store);
  const session = await ensureSession(api, store, document.getElementById('login')!, t('field_title'), 'field');
  // From here on the login form is gone: it takes over again after a reload.
  api.onPasswordChangeRequired = () => window.location.reload();
  document.getElementById('app')!.hidden = false;
  bindPasswordButton(document.querySelector<HTMLElement>('[data-password]')!, api, store, session.user.username);
  const page = new FieldPage(api, session);
  window.riskmapField = page;
  void page.checkPermission();
  document.querySelector('[data-lang]')!.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
  document.querySelector('[data-logout]')!.addEventListener('click', async () => {
    page.stopSharing();
    await logout(api).catch(() => undefined);
    store.clear();
    window.location.reload();
  });
}

void main();
