// The report's photos: up to three, shown at once from the phone (object
// URLs, nothing sent yet) with a remove button; each uploaded when the report
// is sent, with its own progress and its own error.

import { esc } from '../shared/format';
import { problemHtml, problemOf } from './problem';
import type { Proof } from './proof';
import { uploadPhoto } from './publicApi';
import { rt } from './strings';

export const MAX_PHOTOS = 3;
/** The server's limit (contract: at most 8 MiB). */
export const MAX_BYTES = 8 * 1024 * 1024;
export const TYPES = ['image/jpeg', 'image/png', 'image/webp'];

export interface Photo {
  file: File;
  url: string;
  /** The attachment id once uploaded (for the current proof). */
  id: string | null;
  /** 0–1 while uploading; null otherwise. */
  progress: number | null;
  /** Why its upload failed (shown in the page's language of the moment); null if it did not. */
  error: unknown;
}

/** Why a chosen file cannot go, as a label key; null when it can. */
export function refusal(file: { type: string; size: number }): 'photos.bad_type' | 'photos.too_big' | null {
  if (!TYPES.includes(file.type)) return 'photos.bad_type';
  if (file.size > MAX_BYTES) return 'photos.too_big';
  return null;
}

export class PhotoPicker {
  photos: Photo[] = [];
  /** Files turned away when chosen: said under the thumbnails until the next choice. */
  private refused: string[] = [];

  constructor(
    private readonly el: HTMLElement,
    private readonly input: HTMLInputElement,
  ) {
    input.addEventListener('change', () => {
      this.add([...(input.files ?? [])]);
      // The same photo can be chosen again after removing it.
      input.value = '';
    });
    el.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('[data-remove]');
      if (b) this.remove(Number(b.dataset.remove));
    });
  }

  add(files: File[]): void {
    this.refused = [];
    for (const f of files) {
      const why = refusal(f);
      if (why) this.refused.push(rt(why, { name: f.name }));
      else if (this.photos.length >= MAX_PHOTOS) this.refused.push(rt('photos.max'));
      else this.photos.push({ file: f, url: URL.createObjectURL(f), id: null, progress: null, error: null });
    }
    this.refused = [...new Set(this.refused)];
    this.render();
  }

  remove(i: number): void {
    const [p] = this.photos.splice(i, 1);
    if (p) URL.revokeObjectURL(p.url);
    this.refused = [];
    this.render();
  }

  /** Uploads the photos not yet up with `proof`; the first failure is marked on its photo and thrown. */
  async upload(proof: Proof, step: (i: number, n: number) => void): Promise<string[]> {
    const n = this.photos.length;
    for (const [i, p] of this.photos.entries()) {
      if (p.id) continue;
      step(i + 1, n);
      p.error = null;
      p.progress = 0;
      this.render();
      try {
        const a = await uploadPhoto(p.file, proof, (f) => {
          p.progress = f;
          this.renderOne(i);
        });
        p.id = a.id;
      } catch (e) {
        p.error = e;
        throw e;
      } finally {
        p.progress = null;
        this.render();
      }
    }
    return this.photos.map((p) => p.id!);
  }

  /** Forgets the uploads (a new proof uploads them again). */
  forgetUploads(): void {
    for (const p of this.photos) p.id = null;
  }

  clear(): void {
    for (const p of this.photos) URL.revokeObjectURL(p.url);
    this.photos = [];
    this.refused = [];
    this.render();
  }

  render(): void {
    const items = this.photos.map((p, i) => `<li data-photo="${i}">${this.item(p, i)}</li>`).join('');
    const refused = this.refused.map((r) => `<p class="error" data-testid="photo-refused">${esc(r)}</p>`).join('');
    this.el.innerHTML = `<ul class="thumbs">${items}</ul>${refused}`;
    this.input.closest('label')!.hidden = this.photos.length >= MAX_PHOTOS;
  }

  private renderOne(i: number): void {
    const li = this.el.querySelector(`[data-photo="${i}"]`);
    if (li) li.innerHTML = this.item(this.photos[i], i);
  }

  private item(p: Photo, i: number): string {
    const state =
      p.progress !== null
        ? `<progress max="1" value="${p.progress}"></progress><span>${esc(rt('photos.uploading', { p: Math.round(p.progress * 100) }))}</span>`
        : p.id
          ? `<span class="ok">${esc(rt('photos.done'))}</span>`
          : `<span>${esc(rt('photos.waiting'))}</span>`;
    const problem = p.error ? `<p class="error" data-testid="photo-error">${problemHtml(problemOf(p.error), esc)}</p>` : '';
    return `<img src="${esc(p.url)}" alt="" /><div class="photo-state">${state}</div>
      <button type="button" data-remove="${i}" aria-label="${esc(rt('photos.remove'))}">✕ ${esc(rt('photos.remove'))}</button>${problem}`;
  }
}
