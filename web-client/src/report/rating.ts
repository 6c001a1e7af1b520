// 评价: once a report is closed, its sender rates the handling once, 1 to 5
// stars and a comment (POST …/rating); after that the rating is shown instead.

import { esc } from '../shared/format';
import { problemHtml, problemOf } from './problem';
import { publicApi, type ReportView } from './publicApi';
import { formatWhen, rt } from './strings';

export const stars = (n: number) => '★'.repeat(n) + '☆'.repeat(5 - n);

export class RatingBox {
  score = 0;
  private comment = '';
  private error: unknown = null;
  private sending = false;
  /** Just rated here: thanked once. */
  private thanked = false;
  private view: ReportView | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly rated: (v: ReportView) => void,
  ) {
    el.addEventListener('click', (ev) => {
      const star = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-score]');
      if (star) {
        this.score = Number(star.dataset.score);
        this.error = null;
        this.render(this.view);
      }
    });
    el.addEventListener('input', (ev) => {
      const t = ev.target as HTMLTextAreaElement;
      if (t.name === 'comment') this.comment = t.value;
    });
    el.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.send();
    });
  }

  private async send(): Promise<void> {
    const v = this.view;
    if (!v || this.sending) return;
    if (!this.score) {
      this.error = 'rate.need_score';
      return this.render(v);
    }
    this.sending = true;
    this.error = null;
    this.render(v);
    try {
      const next = await publicApi.rate(v.code, this.score, this.comment.trim());
      this.thanked = true;
      this.rated(next);
    } catch (e) {
      this.error = e;
      this.sending = false;
      this.render(v);
    }
    this.sending = false;
  }

  render(v: ReportView | null): void {
    this.view = v;
    this.el.hidden = !v || (!v.rating && !v.can_rate);
    if (!v || this.el.hidden) return;
    if (v.rating) {
      const r = v.rating;
      this.el.innerHTML = `<h2>${esc(rt('rate.yours'))}</h2>
        <p class="stars" data-testid="rating-stars" data-score="${r.score}" aria-label="${esc(rt('rate.stars', { n: r.score }))}">${stars(r.score)}</p>
        ${r.comment ? `<p class="rating-comment" data-testid="rating-comment">${esc(r.comment)}</p>` : ''}
        <p class="muted">${esc(formatWhen(r.at_ms))}${this.thanked ? ` · ${esc(rt('rate.thanks'))}` : ''}</p>`;
      return;
    }
    const buttons = [1, 2, 3, 4, 5]
      .map((n) => `<button type="button" class="star${n <= this.score ? ' on' : ''}" data-score="${n}" aria-pressed="${n === this.score}" aria-label="${esc(rt('rate.stars', { n }))}">${n <= this.score ? '★' : '☆'}</button>`)
      .join('');
    const problem = this.error === null ? '' : typeof this.error === 'string' ? esc(rt(this.error)) : problemHtml(problemOf(this.error), esc);
    this.el.innerHTML = `<form data-testid="rating-form"><h2>${esc(rt('rate.title'))}</h2>
      <div class="star-row" role="group">${buttons}</div>
      <textarea name="comment" rows="3" maxlength="500" placeholder="${esc(rt('rate.comment'))}">${esc(this.comment)}</textarea>
      <button type="submit" class="primary" ${this.sending ? 'disabled' : ''}>${esc(rt('rate.send'))}</button>
      <p class="error" data-testid="rating-error">${problem}</p></form>`;
  }
}
