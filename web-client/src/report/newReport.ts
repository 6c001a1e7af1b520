// `/report`: a new report. Where (the map), what (a category, a few words),
// photos, an optional phone number, send. Sending solves the proof of work
// (prepared in the background while the form is filled in), uploads the
// photos with it, then posts the report; the tracking code comes back big,
// with the way to its status, and joins 我的上报 (kept in this browser).

import type { StyleSpecification } from 'maplibre-gl';
import { esc } from '../shared/format';
import { LocationMap } from './locationMap';
import { loadMine, type MyReport, remember, saveMine } from './myReports';
import { checkPhone } from './phone';
import { PhotoPicker } from './photos';
import { problemHtml, problemOf } from './problem';
import { ProofBox } from './proof';
import { publicApi, type PublicCategory } from './publicApi';
import { statusPath } from './route';
import { applyLabels, categoryName, formatWhen, rt } from './strings';

const FORM = `
<form class="report-form" novalidate data-testid="report-form">
  <p class="lead" data-r="lead"></p>
  <section class="card">
    <h2 data-r="where.title"></h2>
    <div class="report-map" data-testid="report-map"></div>
    <p class="where-hint" data-testid="where-hint"></p>
  </section>
  <section class="card">
    <label class="field"><span data-r="what.category"></span>
      <select name="category" data-testid="report-category"></select></label>
    <div class="categories-problem"></div>
    <label class="field"><span data-r="what.description"></span>
      <textarea name="description" rows="4" maxlength="1000" data-r-ph="what.placeholder" data-testid="report-description"></textarea></label>
  </section>
  <section class="card">
    <h2 data-r="photos.title"></h2>
    <div class="photos" data-testid="report-photos"></div>
    <label class="add-photo"><input type="file" accept="image/jpeg,image/png,image/webp" capture="environment" multiple data-testid="report-photo-input" /><span data-r="photos.add"></span></label>
  </section>
  <section class="card">
    <label class="field"><span data-r="phone.title"></span>
      <input name="phone" type="tel" inputmode="numeric" autocomplete="tel" maxlength="20" data-r-ph="phone.placeholder" data-testid="report-phone" /></label>
    <p class="error" data-testid="phone-error"></p>
  </section>
  <div class="send">
    <button type="submit" class="primary" data-r="send" data-testid="report-send"></button>
    <div class="form-message" data-testid="report-message" aria-live="polite"></div>
  </div>
</form>
<section class="card sent" data-testid="report-sent" hidden></section>
<section class="card mine" data-testid="my-reports" hidden></section>`;

/** What the form says under the send button: a label, or an error (kept as it came, worded when drawn). */
interface Message {
  key?: string;
  vars?: Record<string, string | number>;
  error?: unknown;
}

export class NewReportView {
  readonly map: LocationMap;
  readonly photos: PhotoPicker;
  readonly proof = new ProofBox();
  categories: PublicCategory[] = [];
  private categoriesError: unknown = null;
  private message: Message | null = null;
  private phoneProblem: string | null = null;
  sending = false;
  /** The report just sent (its code shown big), or null while the form is up. */
  sent: { code: string; category: string } | null = null;
  private readonly form: HTMLFormElement;

  constructor(
    private readonly root: HTMLElement,
    style: string | StyleSpecification,
  ) {
    root.innerHTML = FORM;
    this.form = root.querySelector('form')!;
    const q = <T extends Element>(s: string) => root.querySelector<T>(s)!;
    this.map = new LocationMap(q('.report-map'), q('.where-hint'), style);
    this.photos = new PhotoPicker(q('.photos'), q('input[type=file]'));
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.send();
    });
    const phone = this.field<HTMLInputElement>('phone');
    // Said on sending, then cleared as soon as it is right. Not on leaving the
    // field: the message would push the send button away under the finger
    // tapping it.
    phone.addEventListener('input', () => this.phoneProblem && this.checkPhone());
    root.addEventListener('click', (ev) => {
      const t = ev.target as HTMLElement;
      if (t.closest('[data-another]')) this.another();
      if (t.closest('[data-retry-categories]')) void this.loadCategories();
    });
    this.proof.onProgress = (f) => {
      if (this.sending && this.message?.key === 'sending.proof') this.say({ key: 'sending.proof', vars: { p: Math.round(f * 100) } });
    };
    this.map.locate();
    void this.loadCategories();
    // The proof's work starts now: by the time the form is filled in, it is done.
    this.proof.prepare();
    this.render();
  }

  private field<T extends HTMLElement>(name: string): T {
    return this.form.elements.namedItem(name) as unknown as T;
  }

  async loadCategories(): Promise<void> {
    try {
      this.categories = await publicApi.categories();
      this.categoriesError = null;
    } catch (e) {
      this.categoriesError = e;
    }
    this.renderCategories();
    this.renderMine();
  }

  private checkPhone(): ReturnType<typeof checkPhone> {
    const r = checkPhone(this.field<HTMLInputElement>('phone').value);
    this.phoneProblem = r.ok ? null : `phone.${r.problem}`;
    this.renderPhone();
    return r;
  }

  /** Checks the form, then proof, photos and the report, saying each step. */
  async send(): Promise<void> {
    if (this.sending) return;
    const category = this.field<HTMLSelectElement>('category').value;
    const description = this.field<HTMLTextAreaElement>('description').value.trim();
    const phone = this.checkPhone();
    const pos = this.map.position;
    const need = !category ? 'need.category' : !pos ? 'need.place' : !description && !this.photos.photos.length ? 'need.what' : !phone.ok ? 'need.fix' : null;
    if (need || !pos || !phone.ok) return this.say({ key: need ?? 'need.fix' });
    this.sending = true;
    this.render();
    try {
      this.say({ key: 'sending.proof', vars: { p: Math.round(this.proof.progress * 100) } });
      const proof = await this.proof.get();
      const photos = await this.photos.upload(proof, (i, n) => this.say({ key: 'sending.photo', vars: { i, n } }));
      this.say({ key: 'sending.report' });
      const r = await publicApi.report({ category, lon: pos.lon, lat: pos.lat, description, photos, phone: phone.phone, ...proof });
      this.proof.discard();
      const c = this.categories.find((x) => x.code === category);
      saveMine(remember(loadMine(), { code: r.code, at_ms: Date.now(), category, name: c?.name, name_en: c?.name_en }));
      this.sent = { code: r.code, category };
      this.message = null;
    } catch (e) {
      // The server may have spent the proof on the part that went: the next
      // try starts afresh, photos and all (they stay on the phone).
      this.proof.discard();
      this.photos.forgetUploads();
      this.message = { error: e };
    } finally {
      this.sending = false;
      this.render();
    }
  }

  /** Back to an empty form for the next report; the map stays where it is. */
  private another(): void {
    this.sent = null;
    this.form.reset();
    this.photos.clear();
    this.message = null;
    this.phoneProblem = null;
    this.proof.prepare();
    this.render();
    window.scrollTo(0, 0);
  }

  private say(m: Message | null): void {
    this.message = m;
    this.renderMessage();
  }

  render(): void {
    applyLabels(this.root);
    this.map.render();
    this.photos.render();
    this.renderCategories();
    this.renderPhone();
    this.renderMessage();
    this.renderSent();
    this.renderMine();
  }

  private renderCategories(): void {
    const select = this.field<HTMLSelectElement>('category');
    const keep = select.value;
    select.innerHTML = `<option value="">${esc(rt('what.pick'))}</option>${this.categories.map((c) => `<option value="${esc(c.code)}">${esc(categoryName(c))}</option>`).join('')}`;
    select.value = keep;
    const box = this.root.querySelector('.categories-problem')!;
    box.innerHTML = this.categoriesError
      ? `<p class="error">${esc(rt('what.categories_failed', { why: problemOf(this.categoriesError).text }))} <button type="button" data-retry-categories>${esc(rt('what.retry'))}</button></p>`
      : '';
  }

  private renderPhone(): void {
    const el = this.root.querySelector('[data-testid="phone-error"]')!;
    el.textContent = this.phoneProblem ? rt(this.phoneProblem) : '';
    this.field<HTMLInputElement>('phone').setAttribute('aria-invalid', String(!!this.phoneProblem));
  }

  private renderMessage(): void {
    const el = this.root.querySelector<HTMLElement>('.form-message')!;
    const m = this.message;
    const bad = m !== null && (m.error !== undefined || !!m.key?.startsWith('need.'));
    el.className = `form-message${bad ? ' error' : ''}`;
    el.innerHTML = !m ? '' : m.error !== undefined ? problemHtml(problemOf(m.error), esc) : esc(rt(m.key ?? '', m.vars));
    const button = this.root.querySelector<HTMLButtonElement>('[data-testid="report-send"]')!;
    button.disabled = this.sending;
    this.form.classList.toggle('busy', this.sending);
  }

  private renderSent(): void {
    const el = this.root.querySelector<HTMLElement>('[data-testid="report-sent"]')!;
    this.form.hidden = !!this.sent;
    el.hidden = !this.sent;
    if (!this.sent) return;
    const { code } = this.sent;
    el.innerHTML = `<h2>✓ ${esc(rt('sent.title'))}</h2>
      <p class="muted">${esc(rt('sent.code'))}</p>
      <p class="tracking-code" data-testid="tracking-code">${esc(code)}</p>
      <p>${esc(rt('sent.keep'))}</p>
      <p class="actions"><a class="button primary" href="${esc(statusPath(code))}" data-testid="status-link">${esc(rt('sent.check'))}</a>
      <button type="button" data-another>${esc(rt('sent.another'))}</button></p>`;
  }

  private renderMine(): void {
    const mine = loadMine();
    const el = this.root.querySelector<HTMLElement>('[data-testid="my-reports"]')!;
    el.hidden = mine.length === 0;
    const name = (r: MyReport) => {
      const c = this.categories.find((x) => x.code === r.category) ?? (r.name ? { name: r.name, name_en: r.name_en } : null);
      return c ? categoryName(c) : r.category;
    };
    el.innerHTML = `<h2>${esc(rt('mine.title'))}</h2><ul>${mine
      .map((r) => `<li><a href="${esc(statusPath(r.code))}" data-code="${esc(r.code)}">${esc(r.code)}</a><span>${esc(name(r))}</span><time>${esc(formatWhen(r.at_ms))}</time></li>`)
      .join('')}</ul>`;
  }
}
