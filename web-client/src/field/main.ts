// Entry point of the field page (/field): 上岗/下岗, 一键求助 (SOS), location
// sharing, 场所检查 (a key place's venue code: /field?venue=CODE, or 扫码检查),
// 提醒 (the alerts about me: remindersView.ts), my tasks, and reporting a new
// incident where I stand. Phone-sized.

import '../styles/field.css';
import { Api } from '../shared/api';
import { errorHtml, showError } from '../shared/errors';
import { PhotoStrips } from '../shared/photos';
import { esc, loadCityOffset } from '../shared/format';
import { haversine, type Position } from '../shared/geo';
import { initLang, lang, onLangChange, setLang, t } from '../shared/i18n';
import { LiveConnection, type LiveState } from '../shared/live';
import { ensureSession } from '../shared/loginForm';
import { bindPasswordButton } from '../shared/passwordForm';
import { confirmSession, endSession, logout, type Session, SessionStore } from '../shared/session';
import type { CategoryNode, Incident, ServerMessage } from '../shared/types';
import { DutyControl } from './duty';
import { LocationSharing } from './location';
import { bindPhotoPicks, type PhotoPicks, REPORT_KEY } from './photoPicks';
import { readReport, reportBody, reportFormHtml, type ReportValues } from './reportForm';
import { ReminderPanel } from './remindersView';
import { SosControl } from './sos';
import { urlWithoutVenue, venueParam } from './venueCode';
import { VenueSheet } from './venueSheet';
import { doneRow, latLon, taskCard } from './taskCard';
import { mergeDone, mergeTask } from './tasks';

class FieldPage {
  tasks: Incident[] = [];
  /** 已办 — tasks I finished, newest first. */
  done: Incident[] = [];
  /** Grid outlines for the task cards' locator maps, by grid code (null: not visible to me). */
  private outlines = new Map<string, Position[] | null>();
  /** Where I was when the task cards' distances were drawn. */
  private cardsDrawnAt: Position | null = null;
  private categories: CategoryNode[] = [];
  private liveState: LiveState = 'closed';
  /**
   * Notes being typed, by incident: the task list is redrawn whenever an
   * incident in my grid changes, and a half-written note must survive that.
   */
  private drafts = new Map<string, string>();
  readonly live: LiveConnection;
  /** 位置共享. */
  readonly location: LocationSharing;
  /** 上岗/下岗; null for a login bound to no staff member (it has no duty). */
  readonly duty: DutyControl | null;
  /** 一键求助; null for a login bound to no staff member. */
  readonly sos: SosControl | null;
  /** 提醒: the alerts about me other than my SOS (patrol, zones, 脱岗/静止); null without a staff member. */
  readonly reminders: ReminderPanel | null;
  /** 场所检查: a venue code scanned, typed or opened by the printed QR code. */
  readonly venue: VenueSheet;
  /** 处置前/处置后 photos being picked and uploaded, by task; the report's photos as thumbnails. */
  private readonly picks: PhotoPicks;
  private readonly strips: PhotoStrips;
  /** The report form's 现场照片 (REPORT_KEY, phase `report`). */
  private readonly reportPicks: PhotoPicks;
  /** Tasks whose action is on its way (photos uploading): a redrawn button must not send it twice. */
  private sending = new Set<string>();
  /** A report on its way (its photos uploading): a second tap must not send it twice. */
  private reporting = false;
  /** Tasks pushed while the page was open, for the banner and the tests. */
  pushed = 0;

  constructor(
    private readonly api: Api,
    readonly session: Session,
  ) {
    const staffId = session.user.staff_id;
    this.location = new LocationSharing(document.getElementById('location')!, api, {
      send: (m) => this.live.send(m),
      read: (r) => {
        // The cards' distances follow me, redrawn once I have moved a little.
        const moved = !this.cardsDrawnAt || haversine(this.cardsDrawnAt, [r.lon, r.lat]) > 15;
        if (moved && this.tasks.length) this.renderTasks();
      },
      // The duty hint asks for the location while on duty without sharing it; the SOS banner says whether it shares.
      changed: () => {
        this.duty?.render();
        this.sos?.render();
      },
    });
    const dutyEl = document.getElementById('duty')!;
    dutyEl.hidden = !staffId;
    this.duty = staffId
      ? new DutyControl(dutyEl, api, staffId, {
          position: () => this.location.sharer.lastReading,
          sharing: () => this.location.sharing,
        })
      : null;
    const sosEl = document.getElementById('sos')!;
    sosEl.hidden = !staffId;
    this.sos = staffId
      ? new SosControl(sosEl, api, staffId, {
          position: () => this.location.sharer.lastReading,
          sharing: () => this.location.sharing,
          shareEvery: (s) => this.location.setSosPace(s),
          dutyChanged: () => void this.duty?.load(),
        })
      : null;
    this.reminders = staffId ? new ReminderPanel(sosEl, api, staffId) : null;
    this.venue = new VenueSheet(document.getElementById('venue-sheet')!, document.getElementById('venue-entry')!, api, {
      reading: () => this.location.sharer.lastReading,
    });
    this.live = new LiveConnection({
      token: session.token,
      onMessage: (m) => this.onMessage(m),
      onState: (s) => {
        this.liveState = s;
        this.renderHeader();
        // Whatever was pushed while the connection was down is read again.
        if (s === 'open') void Promise.all([this.duty?.load(), this.sos?.load(), this.reminders?.load()]);
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
    this.picks = bindPhotoPicks(document.getElementById('tasks')!, api);
    this.reportPicks = bindPhotoPicks(document.getElementById('report')!, api);
    this.strips = new PhotoStrips(api);
    document.getElementById('tasks')!.addEventListener('click', (ev) => void this.onTaskClick(ev));
    document.getElementById('tasks')!.addEventListener('input', (ev) => {
      const area = ev.target as HTMLTextAreaElement;
      const id = area.closest<HTMLElement>('[data-task]')?.dataset.task;
      if (id && area instanceof HTMLTextAreaElement) this.drafts.set(id, area.value);
    });
    document.getElementById('report')!.addEventListener('submit', (ev) => void this.onReport(ev));
    this.renderAll();
    // Read now as well as on connecting: an SOS running must show even without /ws.
    void this.sos?.load();
    void this.reminders?.load();
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
    } else if (m.type === 'alert' && m.kind === 'sos') {
      // My own SOS changed (a dispatcher took it, closed it): the server sends only mine.
      this.sos?.apply(m.alert);
    } else if (m.type === 'alert') {
      // The rules' and zones' alerts about me are reminders (the dispatchers handle them); a warning is not mine.
      if ('alert' in m) this.reminders?.apply(m.alert);
    } else if (m.type === 'incident') {
      this.track(m.incident);
      this.renderTasks();
    } else {
      this.location.onMessage(m);
    }
  }

  /** Files an incident under my tasks or my 已办 list. */
  private track(i: Incident): void {
    const me = this.session.user.staff_id;
    this.tasks = mergeTask(this.tasks, i, me);
    this.done = mergeDone(this.done, i, me);
  }

  // ---- tasks --------------------------------------------------------------

  private async onTaskClick(ev: Event): Promise<void> {
    const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-action]');
    if (!b) return;
    const card = b.closest<HTMLElement>('[data-task]')!;
    const id = card.dataset.task!;
    const note = card.querySelector<HTMLTextAreaElement>('textarea')?.value.trim() ?? '';
    const task = this.tasks.find((x) => x.id === id);
    const action = b.dataset.action!;
    const err = card.querySelector('[data-task-error]');
    if (this.sending.has(id)) return;
    this.sending.add(id);
    b.disabled = true;
    try {
      // The photos of this step go with it, once they are all uploaded.
      const phase = action === 'start' || action === 'handle' ? action : null;
      if (phase && err && this.picks.uploading(id, phase)) {
        err.textContent = t('photo.uploading');
        err.classList.remove('error');
      }
      const photos = phase ? await this.picks.ids(id, phase) : [];
      if (photos === null) {
        b.disabled = false;
        if (err) {
          err.className = 'error';
          err.textContent = t('photo.fix');
        }
        return;
      }
      if (err) err.textContent = '';
      const updated = await this.api.post<Incident>(`/api/incidents/${encodeURIComponent(id)}/actions`, {
        action,
        comment: note || undefined,
        ...(photos.length ? { photos } : {}),
        version: task?.version,
      });
      if (phase) this.picks.clear(id, phase);
      this.track(updated);
      if (b.dataset.action === 'handle') this.drafts.delete(id);
      this.renderTasks();
      // Handling frees me (在岗 again).
      void this.duty?.load();
    } catch (e) {
      b.disabled = false;
      if (err) showError(err, e, 'action');
    } finally {
      this.sending.delete(id);
    }
  }

  // ---- reporting --------------------------------------------------------------

  private async onReport(ev: Event): Promise<void> {
    ev.preventDefault();
    if (this.reporting) return;
    const form = ev.target as HTMLFormElement;
    const values = readReport(form);
    const pos = this.location.sharer.lastReading;
    // The form may be redrawn while the photos upload (the language switched): always the current one.
    const result = () => document.querySelector<HTMLElement>('#report .result');
    const say = (text: string, error = false) => {
      const out = result();
      if (!out) return;
      out.className = error ? 'result error' : 'result';
      out.textContent = text;
    };
    if (!pos) {
      say(t('field.no_position'), true);
      return;
    }
    this.reporting = true;
    const button = () => document.querySelector<HTMLButtonElement>('#report button[type=submit]');
    button()?.setAttribute('disabled', '');
    try {
      // The photos go with the report once they are all uploaded; a failed one is said under it.
      say(this.reportPicks.uploading(REPORT_KEY, 'report') ? t('photo.uploading') : '');
      const photos = await this.reportPicks.ids(REPORT_KEY, 'report');
      if (photos === null) {
        say(t('photo.fix'), true);
        return;
      }
      const i = await this.api.post<Incident>('/api/incidents', reportBody(values, pos, photos));
      // Sent: an empty form (its photos forgotten) for the next one.
      this.reportPicks.clear(REPORT_KEY, 'report');
      this.reporting = false;
      this.renderReport(null);
      const out = result();
      if (out) {
        out.className = 'result';
        out.innerHTML = `${esc(t('field.reported'))}${esc(t('colon'))}<b data-testid="reported-id">${esc(i.id)}</b><br/><span data-testid="reported-place">${esc(t('task.where'))}${esc(t('colon'))}${esc(i.grid_name ?? i.grid)} (${latLon(i.lon, i.lat)})</span>`;
      }
    } catch (e) {
      const out = result();
      if (out) out.outerHTML = errorHtml(e, 'report').replace('class="error"', 'class="result error"');
    } finally {
      this.reporting = false;
      button()?.removeAttribute('disabled');
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
    this.location.render();
    this.venue.render();
    this.renderTasks();
    this.renderReport();
  }

  private renderHeader(): void {
    const el = document.getElementById('live')!;
    el.className = `live live-${this.liveState}`;
    el.dataset.state = this.liveState;
    el.textContent = t(`live.${this.liveState}`);
  }

  private renderTasks(highlight?: string): void {
    const el = document.getElementById('tasks')!;
    // Keep the caret where it was if the note being typed is redrawn.
    const focused = document.activeElement instanceof HTMLTextAreaElement ? document.activeElement.closest<HTMLElement>('[data-task]')?.dataset.task : undefined;
    const r = this.location.sharer.lastReading;
    const me: Position | null = r ? [r.lon, r.lat] : null;
    this.cardsDrawnAt = me;
    const active = this.tasks.length
      ? this.tasks
          .map((i) =>
            taskCard(i, {
              me,
              outline: this.outline(i.grid),
              draft: this.drafts.get(i.id) ?? '',
              highlight: i.id === highlight,
              picks: (phase) => this.picks.html(i.id, phase),
            }),
          )
          .join('')
      : `<p class="empty">${esc(t('field.no_tasks'))}</p>`;
    const done = this.done.length ? `<ul>${this.done.map(doneRow).join('')}</ul>` : `<p class="empty">${esc(t('task.no_done'))}</p>`;
    el.innerHTML = `${active}<section class="done" data-testid="done"><h3>${esc(t('task.done'))} (${this.done.length})</h3>${done}</section>`;
    this.strips.mount(el, (key) => this.tasks.find((i) => `task-${i.id}` === key)?.photos);
    this.picks.keepOnly(new Set(this.tasks.map((i) => i.id)));
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

  /** The report form; what was filled in (unless `values` says otherwise) and the photos picked survive the redraw. */
  private renderReport(values?: ReportValues | null): void {
    const el = document.getElementById('report')!;
    const form = el.querySelector('form');
    if (values === undefined) values = form ? readReport(form) : null;
    el.innerHTML = reportFormHtml(this.categories, lang() === 'en', values, this.reportPicks.html(REPORT_KEY, 'report'));
    el.querySelector<HTMLButtonElement>('button[type=submit]')!.disabled = this.reporting;
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
  // The city's time, asked while the login is made: every time shown is the city's.
  const cityTime = loadCityOffset();
  api.onUnauthorized = () => endSession(store);
  const session = await ensureSession(api, store, document.getElementById('login')!, t('field_title'), 'field');
  await cityTime;
  // From here on the login form is gone: it takes over again after a reload.
  api.onPasswordChangeRequired = () => window.location.reload();
  document.getElementById('app')!.hidden = false;
  bindPasswordButton(document.querySelector<HTMLElement>('[data-password]')!, api, store, session.user.username);
  const page = new FieldPage(api, session);
  window.riskmapField = page;
  void page.location.checkPermission();
  // Opened by a printed venue code (the phone's camera read /field?venue=CODE):
  // its sheet, once; the address loses the code so that a reload does not open it again.
  const venue = venueParam(window.location.search);
  if (venue !== null) {
    window.history.replaceState(window.history.state, '', urlWithoutVenue(window.location.href));
    page.venue.open(venue);
  }
  document.querySelector('[data-lang]')!.addEventListener('click', () => setLang(lang() === 'zh' ? 'en' : 'zh'));
  document.querySelector('[data-logout]')!.addEventListener('click', async () => {
    page.location.stop();
    await logout(api).catch(() => undefined);
    store.clear();
    window.location.reload();
  });
}

void main();
