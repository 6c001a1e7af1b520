// 接入: the intake sources (GET /api/intake/sources) with 新增/编辑, and the
// callbacks owed to them (GET /api/intake/deliveries), by state, failed ones
// first, each failed one with 重试.

import { showError, errorWithDetail } from '../shared/errors';
import { esc, formatDateTime } from '../shared/format';
import { t } from '../shared/i18n';
import type { CategoryNode, DeliveryState, IntakeDelivery, IntakeSource } from '../shared/types';
import type { AdminContext } from './accountForms';
import { fill } from './dialog';
import { DELIVERY_STATES, minorCategories } from './intake';
import { openSourceForm } from './intakeForm';
import './intakeLabels';

export class IntakeSection {
  private sources: IntakeSource[] | null = null;
  private sourcesError: unknown = null;
  private deliveries: IntakeDelivery[] | null = null;
  private deliveriesError: unknown = null;
  private state: DeliveryState = 'failed';
  /** The category dictionary, for the mapping's names and checks; null when it cannot be read. */
  private dict: CategoryNode[] | null = null;
  private loaded = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('button');
      if (!b) return;
      if (b.dataset.createSource !== undefined) this.openForm(null);
      else if (b.dataset.editSource) this.openForm(this.sources?.find((s) => s.name === b.dataset.editSource) ?? null);
      else if (b.dataset.retry) void this.retry(b as HTMLButtonElement, Number(b.dataset.retry));
      else if (b.dataset.refreshDeliveries !== undefined) void this.loadDeliveries();
    });
    host.addEventListener('change', (ev) => {
      const sel = ev.target as HTMLSelectElement;
      if (sel.name !== 'delivery-state') return;
      this.state = sel.value as DeliveryState;
      void this.loadDeliveries();
    });
  }

  /** Reads everything the first time the tab shows. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    const dict = this.ctx.api
      .get<{ categories: CategoryNode[] }>('/api/incidents/categories')
      .then((r) => (this.dict = r.categories))
      .catch(() => (this.dict = null));
    await Promise.all([dict, this.loadSources(), this.loadDeliveries()]);
    this.renderSources();
  }

  /** The minor categories by code, named in the page's language as it is now. */
  private get minors(): Map<string, string> | null {
    return this.dict ? minorCategories(this.dict) : null;
  }

  private async loadSources(): Promise<void> {
    try {
      this.sources = (await this.ctx.api.get<{ sources: IntakeSource[] }>('/api/intake/sources')).sources;
      this.sourcesError = null;
    } catch (e) {
      this.sourcesError = e;
    }
    this.renderSources();
  }

  private async loadDeliveries(): Promise<void> {
    try {
      this.deliveries = (await this.ctx.api.get<{ deliveries: IntakeDelivery[] }>('/api/intake/deliveries', { state: this.state })).deliveries;
      this.deliveriesError = null;
    } catch (e) {
      this.deliveriesError = e;
    }
    this.renderDeliveries();
  }

  render(): void {
    this.host.innerHTML = `<section class="card" data-testid="intake-section">
      <h2>${esc(t('intake.sources'))}</h2>
      <p class="hint">${esc(t('intake.sources_hint'))}</p>
      <div class="toolbar"><span class="count"></span>
        <button type="button" class="primary" data-create-source data-testid="create-source">＋ ${esc(t('intake.create'))}</button></div>
      <div class="flash" data-testid="intake-flash" hidden></div>
      <div class="sources-table" data-testid="intake-sources"></div></section>
    <section class="card" data-testid="deliveries-section">
      <h2>${esc(t('intake.deliveries'))}</h2>
      <p class="hint">${esc(t('intake.deliveries_hint'))}</p>
      <div class="toolbar">
        <select name="delivery-state" aria-label="${esc(t('intake.col.state'))}" data-testid="delivery-state">${DELIVERY_STATES.map(
          (s) => `<option value="${s}" ${s === this.state ? 'selected' : ''}>${esc(t(`intake.state.${s}`))}</option>`,
        ).join('')}</select>
        <button type="button" data-refresh-deliveries data-testid="refresh-deliveries">⟳ ${esc(t('intake.refresh'))}</button><span class="count"></span></div>
      <div class="flash" data-testid="delivery-flash" hidden></div>
      <div class="deliveries-table" data-testid="intake-deliveries"></div></section>`;
    this.renderSources();
    this.renderDeliveries();
  }

  private renderSources(): void {
    const el = this.host.querySelector<HTMLElement>('.sources-table');
    if (!el) return;
    if (this.sourcesError) return this.failed(el, this.sourcesError);
    if (!this.sources) {
      el.innerHTML = `<p class="empty">${esc(t('admin.loading'))}</p>`;
      return;
    }
    el.innerHTML = this.sources.length ? sourcesTableHtml(this.sources, this.minors) : `<p class="empty">${esc(t('intake.none'))}</p>`;
  }

  private renderDeliveries(): void {
    const el = this.host.querySelector<HTMLElement>('.deliveries-table');
    if (!el) return;
    if (this.deliveriesError) return this.failed(el, this.deliveriesError);
    if (!this.deliveries) {
      el.innerHTML = `<p class="empty">${esc(t('admin.loading'))}</p>`;
      return;
    }
    el.innerHTML = this.deliveries.length ? deliveriesTableHtml(this.deliveries) : `<p class="empty">${esc(t('intake.no_deliveries'))}</p>`;
  }

  private failed(el: HTMLElement, e: unknown): void {
    el.innerHTML = '<p class="error"></p>';
    showError(el.firstElementChild!, e, 'load');
  }

  private openForm(source: IntakeSource | null): void {
    openSourceForm(this.ctx, source, this.minors, (saved) => {
      this.flash('intake-flash', fill('intake.saved', { name: saved.name }), 'ok');
      void this.loadSources();
    });
  }

  private async retry(b: HTMLButtonElement, id: number): Promise<void> {
    b.disabled = true;
    try {
      await this.ctx.api.post<IntakeDelivery>(`/api/intake/deliveries/${id}/retry`, {});
      this.flash('delivery-flash', fill('intake.retried', { id }), 'ok');
      await this.loadDeliveries();
    } catch (e) {
      b.disabled = false;
      this.flash('delivery-flash', errorWithDetail(e, 'intake'), 'error');
    }
  }

  private flash(testid: string, text: string, kind: 'ok' | 'error'): void {
    const el = this.host.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
    if (!el) return;
    el.hidden = false;
    el.className = `flash ${kind}`;
    el.textContent = text;
  }
}

/** The sources: name, title, kind, the mapping (count, the pairs on hover), default category, callback, when updated. */
export function sourcesTableHtml(list: readonly IntakeSource[], minors: ReadonlyMap<string, string> | null): string {
  const head = ['intake.col.name', 'intake.col.title', 'intake.col.kind', 'intake.col.categories', 'intake.col.default', 'intake.col.callback', 'intake.col.updated', ''];
  const cat = (code: string | null) => (code ? `${esc(code)}${minors?.get(code) ? ` <small>${esc(minors.get(code))}</small>` : ''}` : '—');
  const rows = list.map((s) => {
    const pairs = Object.entries(s.categories ?? {});
    const title = pairs.map(([ext, minor]) => `${ext} → ${minor}${minors?.get(minor) ? ` ${minors.get(minor)}` : ''}`).join('\n');
    return `<tr data-source="${esc(s.name)}">
      <td class="username">${esc(s.name)}</td><td class="name">${esc(s.title)}</td><td class="kind">${esc(t(`intake.kind.${s.kind}`))}</td>
      <td class="mapping" title="${esc(title)}">${esc(fill('intake.n_mapped', { n: pairs.length }))}</td>
      <td>${cat(s.default_category)}</td><td class="url">${s.callback_url ? esc(s.callback_url) : '—'}</td>
      <td>${s.updated_ms ? formatDateTime(s.updated_ms) : '—'}</td>
      <td class="actions"><button type="button" data-edit-source="${esc(s.name)}" data-testid="edit-source">${esc(t('intake.edit'))}</button></td></tr>`;
  });
  return `<table class="accounts intake-sources" data-testid="intake-sources-table">
    <thead><tr>${head.map((k) => `<th>${k ? esc(t(k)) : ''}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The callbacks of one state; a failed one has 重试. */
export function deliveriesTableHtml(list: readonly IntakeDelivery[]): string {
  const head = ['intake.col.id', 'intake.col.source', 'intake.col.ticket', 'intake.col.incident', 'intake.col.state', 'intake.col.attempts', 'intake.col.error', 'intake.col.when', ''];
  const rows = list.map((d) => {
    const when = d.delivered_ms ? formatDateTime(d.delivered_ms) : d.state === 'delivered' ? '—' : formatDateTime(d.next_ms);
    return `<tr data-delivery="${d.id}" data-state="${esc(d.state)}">
      <td>${d.id}</td><td class="username">${esc(d.source)}</td><td>${esc(d.ticket)}</td>
      <td class="username">${esc(d.incident)} <small>#${d.seq}</small></td>
      <td><span class="badge ${d.state === 'delivered' ? 'ok' : d.state === 'failed' ? 'off' : 'warn'}">${esc(t(`intake.state.${d.state}`))}</span></td>
      <td>${d.attempts}</td><td class="last-error">${d.last_error ? esc(d.last_error) : '—'}</td><td>${when}</td>
      <td class="actions">${d.state === 'failed' ? `<button type="button" data-retry="${d.id}" data-testid="retry-delivery">${esc(t('intake.retry'))}</button>` : ''}</td></tr>`;
  });
  return `<table class="accounts deliveries" data-testid="deliveries-table">
    <thead><tr>${head.map((k) => `<th>${k ? esc(t(k)) : ''}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
