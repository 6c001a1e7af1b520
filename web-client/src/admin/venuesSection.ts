// 场所码 (its own tab, /admin#venues): the key places of the administrator's
// area with a search box, each with 预览 (its QR code, fetched with the
// login's token and shown through an object URL, with the code printed under
// it and the link it opens) and 下载 SVG / 下载 PNG (saved as
// 场所码-name-id.svg/.png); and the recent inspections the field workers
// recorded by scanning them (GET /api/venues/inspections).

import { saveLink } from '../shared/download';
import { showError } from '../shared/errors';
import { esc, formatDateTime, formatDistance } from '../shared/format';
import { t } from '../shared/i18n';
import { named } from '../shared/names';
import type { Inspection, VenueCode } from '../shared/venueTypes';
import type { AdminContext } from './accountForms';
import { fill } from './dialog';
import './venueLabels';
import { filterPlaces, lastInspections, loadKeyPlaces, MAX_ROWS, problemsDetail, venueCodePath, venueFileName, type VenuePlace } from './venues';

/** How many recent inspections the table shows. */
const RECENT = 50;

export class VenuesSection {
  private places: VenuePlace[] | null = null;
  private placesError: unknown = null;
  private inspections: Inspection[] | null = null;
  private inspectionsError: unknown = null;
  private filter = '';
  private loaded = false;
  /** The preview's object URL, revoked when its dialog closes. */
  private previewUrl: string | null = null;
  private previewSeq = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('input', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name !== 'venue-q') return;
      this.filter = input.value;
      this.renderPlaces();
    });
    host.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-preview], [data-refresh-inspections]');
      if (b?.dataset.preview) {
        const place = this.places?.find((p) => p.id === b.dataset.preview);
        if (place) void this.preview(place);
      } else if (b) void this.loadInspections();
    });
    // The downloads, in the table and in the preview: fetched with the token, saved under a readable name.
    for (const el of [host, ctx.dialog.el]) {
      el.addEventListener('click', (ev) => {
        const a = (ev.target as HTMLElement).closest<HTMLAnchorElement>('a[data-venue-download]');
        if (!a) return;
        ev.preventDefault();
        void saveLink(ctx.api, a, 'venue-code');
      });
    }
  }

  /** Reads the places and the inspections the first time the tab shows. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    await Promise.all([this.loadPlaces(), this.loadInspections()]);
  }

  private async loadPlaces(): Promise<void> {
    try {
      this.places = await loadKeyPlaces(this.ctx.api);
      this.placesError = null;
    } catch (e) {
      this.placesError = e;
    }
    this.renderPlaces();
  }

  private async loadInspections(): Promise<void> {
    try {
      this.inspections = (await this.ctx.api.get<{ inspections: Inspection[] }>('/api/venues/inspections', { limit: RECENT })).inspections;
      this.inspectionsError = null;
    } catch (e) {
      this.inspectionsError = e;
    }
    this.renderInspections();
    // The places' 最近检查 column reads the same list.
    this.renderPlaces();
  }

  render(): void {
    this.host.innerHTML = `<section class="card" data-testid="venues-section">
      <h2>${esc(t('vcode.places'))}</h2>
      <p class="hint">${esc(t('vcode.places_hint'))}</p>
      <div class="toolbar"><input name="venue-q" type="search" value="${esc(this.filter)}" placeholder="${esc(t('vcode.filter'))}" aria-label="${esc(t('vcode.filter'))}" data-testid="venue-filter" />
        <span class="count" data-testid="venue-count"></span></div>
      <div class="venue-places" data-testid="venue-places"></div></section>
    <section class="card" data-testid="inspections-section">
      <h2>${esc(t('vcode.inspections'))}</h2>
      <p class="hint">${esc(t('vcode.inspections_hint'))}</p>
      <div class="toolbar"><button type="button" data-refresh-inspections data-testid="refresh-inspections">⟳ ${esc(t('vcode.refresh'))}</button><span class="count"></span></div>
      <div class="venue-inspections" data-testid="venue-inspections"></div></section>`;
    this.renderPlaces();
    this.renderInspections();
  }

  private renderPlaces(): void {
    const el = this.host.querySelector<HTMLElement>('.venue-places');
    const count = this.host.querySelector<HTMLElement>('[data-testid="venue-count"]');
    if (!el || !count) return;
    if (this.placesError) return failed(el, this.placesError);
    if (!this.places) {
      el.innerHTML = `<p class="empty">${esc(t('vcode.loading'))}</p>`;
      return;
    }
    const shown = filterPlaces(this.places, this.filter);
    count.textContent = shown.length > MAX_ROWS ? fill('vcode.count_some', { shown: MAX_ROWS, n: shown.length }) : fill('vcode.count', { n: shown.length });
    el.innerHTML = shown.length ? placesTableHtml(shown.slice(0, MAX_ROWS), lastInspections(this.inspections ?? [])) : `<p class="empty">${esc(t('vcode.none'))}</p>`;
  }

  private renderInspections(): void {
    const el = this.host.querySelector<HTMLElement>('.venue-inspections');
    if (!el) return;
    if (this.inspectionsError) return failed(el, this.inspectionsError);
    if (!this.inspections) {
      el.innerHTML = `<p class="empty">${esc(t('vcode.loading'))}</p>`;
      return;
    }
    el.innerHTML = this.inspections.length ? inspectionsTableHtml(this.inspections) : `<p class="empty">${esc(t('vcode.no_inspections'))}</p>`;
  }

  /** 预览: the dialog at once, the QR code and the code when they have come. */
  private async preview(place: VenuePlace): Promise<void> {
    const seq = ++this.previewSeq;
    this.revokePreview();
    const dialog = this.ctx.dialog;
    dialog.open(previewHtml(place, null, null));
    dialog.el.addEventListener('close', () => seq === this.previewSeq && this.revokePreview(), { once: true });
    try {
      const [code, png] = await Promise.all([
        this.ctx.api.get<VenueCode>(venueCodePath(place.id, 'json')),
        this.ctx.api.blob(venueCodePath(place.id, 'png')),
      ]);
      if (seq !== this.previewSeq || !dialog.el.open) return;
      this.previewUrl = URL.createObjectURL(png);
      const grid = code.grid ? (this.ctx.areas.name(code.grid) ?? code.grid) : null;
      dialog.open(previewHtml(place, { code, url: this.previewUrl, grid, link: code.link }, null));
    } catch (e) {
      if (seq !== this.previewSeq || !dialog.el.open) return;
      dialog.open(previewHtml(place, null, e));
      showError(dialog.el.querySelector('[data-testid="venue-preview-error"]')!, e, 'load');
    }
  }

  private revokePreview(): void {
    if (this.previewUrl) URL.revokeObjectURL(this.previewUrl);
    this.previewUrl = null;
  }
}

function failed(el: HTMLElement, e: unknown): void {
  el.innerHTML = '<p class="error"></p>';
  showError(el.firstElementChild!, e, 'load');
}

/** The two download links of a place (in the table, in the preview). */
function downloadLinks(p: VenuePlace): string {
  return (['svg', 'png'] as const)
    .map(
      (ext) =>
        `<a class="button download" href="${esc(venueCodePath(p.id, ext))}" download="${esc(venueFileName(p.name, p.id, ext))}" data-venue-download data-testid="venue-download-${ext}">⇩ ${esc(t(`vcode.${ext}`))}</a>`,
    )
    .join(' ');
}

/** What the preview shows once loaded. */
export interface PreviewData {
  code: VenueCode;
  /** The PNG's object URL. */
  url: string;
  /** The grid's name (its code when unknown), or null. */
  grid: string | null;
  /** The absolute link the QR code carries. */
  link: string;
}

/** The preview dialog: the QR code, the code printed under it, the link it opens, the downloads. */
export function previewHtml(p: VenuePlace, d: PreviewData | null, error: unknown): string {
  const qr = d
    ? `<img src="${esc(d.url)}" alt="${esc(fill('vcode.preview_title', { name: p.name }))}" data-testid="venue-qr" />`
    : error
      ? ''
      : `<p class="empty">${esc(t('vcode.loading'))}</p>`;
  const facts: [string, string][] = [
    ['vcode.col.id', `<span class="mono">${esc(p.id)}</span>`],
    ['vcode.col.category', esc(p.category || '—')],
    ...(d ? ([['vcode.grid', esc(d.grid ?? '—')], ['vcode.code', `<code data-testid="venue-code-text">${esc(d.code.code)}</code>`], ['vcode.link', `<code class="url" data-testid="venue-link">${esc(d.link)}</code>`]] as [string, string][]) : []),
  ];
  return `<form method="dialog" class="venue-preview" data-testid="venue-preview" data-place="${esc(p.id)}">
    <h2>${esc(fill('vcode.preview_title', { name: p.name }))}</h2>
    <div class="qr-box">${qr}</div>
    <dl class="facts">${facts.map(([k, v]) => `<dt>${esc(t(k))}</dt><dd>${v}</dd>`).join('')}</dl>
    <p class="hint">${esc(t('vcode.print_hint'))}</p>
    <p class="error" data-testid="venue-preview-error"></p>
    <div class="buttons">${downloadLinks(p)}<button type="submit" class="primary" data-testid="venue-preview-close">${esc(t('vcode.close'))}</button></div></form>`;
}

/** The key places: id, name, category, the last inspection among those read, 预览 and the downloads. */
export function placesTableHtml(places: readonly VenuePlace[], last: ReadonlyMap<string, Inspection>): string {
  const head = ['vcode.col.id', 'vcode.col.name', 'vcode.col.category', 'vcode.col.last', 'vcode.col.actions'];
  const rows = places.map((p) => {
    const l = last.get(p.id);
    const seen = l ? `${formatDateTime(l.at_ms)} <small>${esc(t(`vcode.kind.${l.kind}`))} · ${esc(l.staff_name)}</small>` : esc(t('vcode.never'));
    return `<tr data-place="${esc(p.id)}">
      <td class="username">${esc(p.id)}</td><td class="name">${esc(p.name)}</td><td>${esc(p.category)}</td><td class="last">${seen}</td>
      <td class="actions"><button type="button" data-preview="${esc(p.id)}" data-testid="venue-preview-button">${esc(t('vcode.preview'))}</button> ${downloadLinks(p)}</td></tr>`;
  });
  return `<table class="accounts venue-places-table" data-testid="venue-places-table">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The recent inspections: time, place, 检查/打卡, worker, problems (the failed items on hover), distance. */
export function inspectionsTableHtml(list: readonly Inspection[]): string {
  const head = ['vcode.col.when', 'vcode.col.place', 'vcode.col.kind', 'vcode.col.staff', 'vcode.col.problems', 'vcode.col.distance'];
  const rows = list.map((i) => {
    const problems =
      i.kind === 'check_in'
        ? '—'
        : i.problems > 0
          ? `<span class="badge off" title="${esc(problemsDetail(i))}">${esc(fill('vcode.problems_n', { n: i.problems }))}</span>`
          : `<span class="badge ok">${esc(t('vcode.no_problems'))}</span>`;
    return `<tr data-inspection="${esc(i.id)}" data-place="${esc(i.place_id)}" data-kind="${esc(i.kind)}">
      <td>${formatDateTime(i.at_ms)}</td><td>${named(i.place_name, i.place_id)} <small>${esc(i.place_category)}</small></td>
      <td class="kind">${esc(t(`vcode.kind.${i.kind}`))}</td><td>${named(i.staff_name, i.staff_id)}</td>
      <td class="problems" data-n="${i.problems}">${problems}</td>
      <td class="distance">${i.distance_m > 0 ? esc(formatDistance(i.distance_m)) : esc(t('vcode.inside'))}</td></tr>`;
  });
  return `<table class="accounts venue-inspections-table" data-testid="venue-inspections-table">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
