// `/report/{code}`: where a report stands. Its category, words and photos
// (thumbnails; a tap shows the whole photo), the timeline, the public reply,
// the sender's points, and the rating once it is closed. A code that names
// no report says so plainly.

import { esc } from '../shared/format';
import { problemHtml, problemOf } from './problem';
import { PublicError, publicApi, type ReportView } from './publicApi';
import { RatingBox } from './rating';
import { applyLabels, categoryName, formatWhen, rt } from './strings';
import { statusLabel, stepLabel, timelineRows } from './timeline';

const LAYOUT = `
<section class="card status" data-testid="report-status">
  <div class="status-body"></div>
</section>
<section class="card rating" data-testid="report-rating" hidden></section>
<p class="actions"><a class="button" href="/report" data-r="status.new"></a></p>
<div class="lightbox" data-testid="lightbox" hidden><img alt="" /></div>`;

export class StatusView {
  view: ReportView | null = null;
  /** Why it did not load: 404 is "no such report"; anything else offers a reload. */
  private error: unknown = null;
  private loading = true;
  readonly rating: RatingBox;
  private readonly body: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    readonly code: string,
    /** Shaped like a tracking code: anything else is not asked for. */
    valid: boolean,
  ) {
    root.innerHTML = LAYOUT;
    this.body = root.querySelector('.status-body')!;
    this.rating = new RatingBox(root.querySelector('[data-testid="report-rating"]')!, (v) => {
      this.view = v;
      this.render();
    });
    root.addEventListener('click', (ev) => this.onClick(ev));
    if (valid) void this.load();
    else {
      this.loading = false;
      this.error = new PublicError(404, '');
    }
    this.render();
  }

  async load(): Promise<void> {
    this.loading = true;
    this.render();
    try {
      this.view = await publicApi.view(this.code);
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.loading = false;
    this.render();
  }

  private onClick(ev: MouseEvent): void {
    const t = ev.target as HTMLElement;
    const box = this.root.querySelector<HTMLElement>('.lightbox')!;
    const photo = t.closest<HTMLAnchorElement>('a[data-photo]');
    if (photo) {
      // The whole photo over the page; a tap anywhere closes it.
      ev.preventDefault();
      box.querySelector('img')!.src = photo.href;
      box.hidden = false;
    } else if (t.closest('.lightbox')) box.hidden = true;
    else if (t.closest('[data-reload]')) void this.load();
  }

  render(): void {
    applyLabels(this.root);
    this.rating.render(this.view);
    const b = this.body;
    if (this.loading && !this.view) {
      b.innerHTML = `<p class="muted">${esc(rt('status.loading'))}</p>`;
      return;
    }
    if (!this.view) {
      const missing = this.error instanceof PublicError && this.error.status === 404;
      b.innerHTML = missing
        ? `<h2>${esc(rt('status.title'))}</h2><p class="not-found" data-testid="report-not-found">${esc(rt('status.not_found', { code: this.code }))}</p>`
        : `<h2>${esc(rt('status.title'))}</h2><p class="error">${problemHtml(problemOf(this.error), esc)}</p><button type="button" data-reload>${esc(rt('status.retry'))}</button>`;
      return;
    }
    const v = this.view;
    b.dataset.status = v.status;
    const cat = categoryName({ name: v.category_name, name_en: v.category_name_en });
    const photos = v.photos.length
      ? `<h3>${esc(rt('status.photos'))}</h3><ul class="thumbs">${v.photos
          .map((id) => `<li><a href="${esc(publicApi.photoUrl(v.code, id))}" data-photo="${esc(id)}"><img src="${esc(publicApi.thumbUrl(v.code, id))}" alt="" data-testid="report-thumb" /></a></li>`)
          .join('')}</ul>`
      : '';
    const rows = timelineRows(v)
      .map(
        (r) =>
          `<li class="${r.at_ms === null ? 'to-come' : 'done'}${r.current ? ' current' : ''}" data-step="${r.step}"><span class="step">${esc(stepLabel(r.step))}</span><time>${
            r.at_ms === null ? esc(rt('status.to_come')) : esc(formatWhen(r.at_ms))
          }</time></li>`,
      )
      .join('');
    const reply = v.reply ? `<div class="reply" data-testid="report-reply"><h3>${esc(rt('status.reply'))}</h3><p>${esc(v.reply)}</p></div>` : '';
    b.innerHTML = `<h2>${esc(rt('status.title'))}</h2>
      <p class="status-badge status-${esc(v.status)}" data-testid="report-state" data-status="${esc(v.status)}">${esc(statusLabel(v.status))}</p>
      <dl>
        <dt>${esc(rt('status.code'))}</dt><dd class="code" data-testid="report-code">${esc(v.code)}</dd>
        <dt>${esc(rt('status.reported'))}</dt><dd>${esc(formatWhen(v.created_ms))}</dd>
        <dt>${esc(rt('status.category'))}</dt><dd data-testid="report-category-name">${esc(cat)}</dd>
        <dt>${esc(rt('status.points'))}</dt><dd class="points" data-testid="report-points">${esc(v.points)}</dd>
      </dl>
      ${v.description ? `<h3>${esc(rt('status.description'))}</h3><p class="description">${esc(v.description)}</p>` : ''}
      ${photos}
      ${reply}
      <h3>${esc(rt('status.timeline'))}</h3><ol class="timeline" data-testid="report-timeline">${rows}</ol>`;
  }
}
