// 我的待办 panel (right column): the login's queue, read from the server on
// start, soon after any incident push or 督办 alert (a burst of pushes is one
// read), and every 30 s whatever happens (a deadline passing changes no
// incident). A click opens the incident's details.

import '../styles/org.css';
import type { Api } from '../shared/api';
import { esc } from '../shared/format';
import { onLangChange, t } from '../shared/i18n';
import { categoryName } from '../shared/names';
import type { Incident } from '../shared/types';
import './orgLabels';
import { deadlineLabel, openSupervision, queueDeadline, queueWarning, sortQueue, supervisionDue } from './queue';

const POLL_MS = 30_000;

export class QueuePanel {
  items: Incident[] = [];
  /** How many answers were drawn: tests wait on it. */
  loads = 0;
  /** The server answered that it has no queue (an older server): said once, not polled. */
  unavailable = false;
  private loaded = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private seq = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly api: Api,
    private readonly open: (i: Incident) => void,
  ) {
    el.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-incident]');
      const i = b && this.items.find((x) => x.id === b.dataset.incident);
      if (i) this.open(i);
    });
    onLangChange(() => this.render());
    setInterval(() => this.render(), 10_000);
    this.render();
  }

  /** Reads the queue now, then every 30 s. */
  async load(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const seq = ++this.seq;
    try {
      const r = await this.api.get<{ incidents: Incident[] }>('/api/incidents', { queue: 'mine', limit: 200 });
      if (seq !== this.seq) return;
      this.items = sortQueue(r.incidents);
      this.loaded = true;
      this.loads++;
    } catch (e) {
      // 400: a server without queues (it does not know the parameter); anything else: try again later.
      const status = (e as { status?: number }).status;
      if (status === 400 || status === 404) this.unavailable = true;
    }
    this.render();
    if (!this.unavailable) this.refreshSoon(POLL_MS);
  }

  /** An incident changed or a 督办 came: read again shortly (one read for a burst). */
  refreshSoon(delay = 800): void {
    if (this.unavailable) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(), delay);
  }

  render(now = Date.now()): void {
    const head = `<h2>${esc(t('queue.title'))} <span class="count" data-testid="queue-count">${this.loaded ? this.items.length : ''}</span></h2>`;
    let body: string;
    if (this.unavailable) body = `<div class="empty">${esc(t('queue.unavailable'))}</div>`;
    else if (!this.loaded) body = `<div class="empty">…</div>`;
    else if (this.items.length === 0) body = `<div class="empty">${esc(t('queue.empty'))}</div>`;
    else body = this.items.slice(0, 50).map((i) => queueRow(i, now)).join('');
    this.el.innerHTML = `${head}<div class="list" data-testid="queue-list">${body}</div>`;
  }
}

/** One item: category, area, id; its deadline; 督办 when an order is open. */
export function queueRow(i: Incident, now: number): string {
  const due = deadlineLabel(queueDeadline(i), now);
  const sup = openSupervision(i)
    ? `<span class="badge supervised" data-testid="queue-supervised" title="${esc(supervisionDue(i))}">${esc(t('queue.supervised'))}</span>`
    : '';
  return `<button class="row queue-item warn-${queueWarning(i, now)}" data-incident="${esc(i.id)}" data-testid="queue-item">
    <span class="dot"></span><span class="title">${esc(categoryName(i))}</span>${sup}
    <span class="time${due.overdue ? ' overdue' : ''}">${esc(due.text)}</span>
    <span class="where">${esc(i.area_name ?? i.area)} · <small>${esc(i.id)}</small> · ${esc(t(`state.${i.state}`))}</span></button>`;
}
