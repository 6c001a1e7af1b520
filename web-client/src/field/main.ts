// Entry point of the field page (/field): location sharing, my tasks, and
// reporting a new incident where I stand. Phone-sized.

import '../styles/field.css';
import { Api, ApiError } from '../shared/api';
import { esc, formatClock, formatDateTime } from '../shared/format';
import { initLang, lang, onLangChange, setLang, t } from '../shared/i18n';
import { LiveConnection, type LiveState } from '../shared/live';
import { ensureSession } from '../shared/loginForm';
import { logout, type Session, SessionStore } from '../shared/session';
import type { CategoryNode, Incident, ServerMessage } from '../shared/types';
import { FixSharer } from './fixSharer';
import { fieldActions, mergeTask } from './tasks';

const INTERVALS_S = [5, 10, 30, 60];

class FieldPage {
  tasks: Incident[] = [];
  readonly sharer = new FixSharer(10_000);
  private watchId: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastAck: { at: number; applied: number } | null = null;
  private geoError = '';
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
  /** Tasks pushed while the page was open, for the banner and the tests. */
  pushed = 0;

  constructor(
    private readonly api: Api,
    readonly session: Session,
  ) {
    this.live = new LiveConnection({
      token: session.token,
      onMessage: (m) => this.onMessage(m),
      onState: (s) => {
        this.liveState = s;
        this.renderHeader();
      },
    });
    // Incident changes in my grid (my tasks among them); tasks elsewhere come as `task` pushes.
    this.live.subscribe({ area: session.user.area, layers: ['incidents'] });
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
    if (m.type === 'task') {
      this.pushed++;
      this.tasks = mergeTask(this.tasks, m.incident, this.session.user.staff_id);
      this.renderTasks(m.incident.id);
      navigator.vibrate?.(200);
    } else if (m.type === 'incident') {
      this.tasks = mergeTask(this.tasks, m.incident, this.session.user.staff_id);
      this.renderTasks();
    } else if (m.type === 'ack') {
      this.inFlight.delete(String(m.id));
      this.lastAck = { at: Date.now(), applied: m.applied };
      this.renderLocation();
    } else if (m.type === 'error' && m.id !== undefined && this.inFlight.has(String(m.id))) {
      // Refused (e.g. out of range): dropped, not retried; the reason is shown.
      this.inFlight.delete(String(m.id));
      this.geoError = m.message;
      this.renderLocation();
    }
  }

  // ---- location sharing ---------------------------------------------------

  private onLocationClick(ev: Event): void {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-share]');
    if (!b) return;
    if (this.watchId === null) this.startSharing();
    else this.stopSharing();
  }

  startSharing(): void {
    if (!('geolocation' in navigator)) {
      this.geoError = t('field.geo_denied');
      this.renderLocation();
      return;
    }
    this.watchId = navigator.geolocation.watchPosition(
      (p) => {
        this.geoError = '';
        this.sharer.read({
          lon: p.coords.longitude,
          lat: p.coords.latitude,
          t: p.timestamp || Date.now(),
          accuracy: p.coords.accuracy,
          speed: p.coords.speed,
          heading: p.coords.heading,
        });
        this.renderLocation();
        this.flush();
      },
      (e) => {
        this.geoError = `${t('field.geo_denied')}: ${e.message}`;
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
      this.tasks = mergeTask(this.tasks, updated, this.session.user.staff_id);
      if (b.dataset.action === 'handle') this.drafts.delete(id);
      this.renderTasks();
    } catch (e) {
      b.disabled = false;
      const err = card.querySelector('.error');
      if (err) err.textContent = e instanceof ApiError ? e.message : String(e);
    }
  }

  // ---- reporting --------------------------------------------------------------

  private async onReport(ev: Event): Promise<void> {
    ev.preventDefault();
    const form = ev.target as HTMLFormElement;
    const data = new FormData(form);
    const pos = this.sharer.lastReading;
    const out = form.querySelector('.result')!;
    if (!pos) {
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
      out.innerHTML = `${esc(t('field.reported'))}: <b data-testid="reported-id">${esc(i.id)}</b>`;
      form.reset();
    } catch (e) {
      out.textContent = e instanceof ApiError ? e.message : String(e);
    }
  }

  // ---- rendering --------------------------------------------------------------

  renderAll(): void {
    document.title = t('field_title');
    document.querySelectorAll<HTMLElement>('[data-i18n]').forEach((e) => (e.textContent = t(e.dataset.i18n!)));
    (document.querySelector('[data-lang]') as HTMLElement).textContent = t('lang_switch');
    (document.querySelector('[data-logout]') as HTMLElement).textContent = t('logout');
    document.getElementById('who')!.textContent = `${this.session.user.display_name ?? this.session.user.username} · ${this.session.user.staff_id ?? ''}`;
    this.renderHeader();
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
    document.getElementById('location')!.innerHTML = `
      <button data-share class="${sharing ? 'on' : ''}">${esc(sharing ? t('field.stop') : t('field.share'))}</button>
      <span class="state">${sharing ? esc(t('field.sharing')) : ''}</span>
      <label>${esc(t('field.interval'))} <select name="interval">${INTERVALS_S.map((s) => `<option value="${s}" ${s === interval ? 'selected' : ''}>${s} s</option>`).join('')}</select></label>
      <dl>
        <dt>${esc(t('field.accuracy'))}</dt><dd data-testid="accuracy">${r?.accuracy != null ? `±${Math.round(r.accuracy)} m` : '—'}</dd>
        <dt>${esc(t('field.last_fix'))}</dt><dd>${r ? `${formatClock(r.t)} · ${r.lat.toFixed(5)}, ${r.lon.toFixed(5)}` : esc(t('field.no_position'))}</dd>
        <dt>${esc(t('field.acked'))}</dt><dd data-testid="acked">${this.lastAck ? formatClock(this.lastAck.at) : '—'}${this.sharer.pendingCount ? ` (+${this.sharer.pendingCount})` : ''}</dd>
      </dl>
      <p class="error">${esc(this.geoError)}</p>`;
  }

  private renderTasks(highlight?: string): void {
    const el = document.getElementById('tasks')!;
    // Keep the caret where it was if the note being typed is redrawn.
    const focused = document.activeElement instanceof HTMLTextAreaElement ? document.activeElement.closest<HTMLElement>('[data-task]')?.dataset.task : undefined;
    if (this.tasks.length === 0) {
      el.innerHTML = `<p class="empty">${esc(t('field.no_tasks'))}</p>`;
      return;
    }
    el.innerHTML = this.tasks
      .map((i) => {
        const acts = fieldActions(i.state);
        return `<article class="task prio-${i.priority} warn-${i.warning} ${i.id === highlight ? 'new' : ''}" data-task="${esc(i.id)}">
          <h3>${esc(i.category_name ?? i.category)} <small>${esc(i.id)}</small></h3>
          <p>${esc(i.description)}</p>
          <p class="meta"><span class="state" data-testid="task-state">${esc(t(`state.${i.state}`))}</span> · ${esc(t(`priority.${i.priority}`))}${i.deadline_ms ? ` · ${esc(t('incident.deadline'))} ${formatDateTime(i.deadline_ms)}` : ''}</p>
          ${acts.includes('handle') ? `<textarea placeholder="${esc(t('field.note'))}">${esc(this.drafts.get(i.id) ?? '')}</textarea>` : ''}
          <div class="actions">${acts.map((a) => `<button data-action="${a}">${esc(t(`action.${a}`))}</button>`).join('')}</div>
          <p class="error"></p></article>`;
      })
      .join('');
    if (focused) {
      const area = el.querySelector<HTMLTextAreaElement>(`[data-task="${CSS.escape(focused)}"] textarea`);
      area?.focus();
      area?.setSelectionRange(area.value.length, area.value.length);
    }
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
  api.onUnauthorized = () => {
    store.clear();
    window.location.reload();
  };
  const session = await ensureSession(api, store, document.getElementById('login')!, t('field_title'), 'field');
  document.getElementById('app')!.hidden = false;
  const page = new FieldPage(api, session);
  window.riskmapField = page;
  document.querySelector('[data-lang]')!.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
  document.querySelector('[data-logout]')!.addEventListener('click', async () => {
    page.stopSharing();
    await logout(api).catch(() => undefined);
    store.clear();
    window.location.reload();
  });
}

void main();
