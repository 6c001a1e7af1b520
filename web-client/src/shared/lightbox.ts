// The full image of an attachment over the page, fetched with the login's
// token; ← → step through the strip it was opened from, Escape or a click
// beside the image closes it. One at a time; its object URL is revoked as
// soon as another image or nothing replaces it.

import type { Api } from './api';
import { esc } from './format';
import { t } from './i18n';

let closeOpen: (() => void) | null = null;

export function openLightbox(api: Api, ids: readonly string[], start: number): void {
  closeOpen?.();
  if (!ids.length) return;
  let at = Math.min(Math.max(0, start), ids.length - 1);
  let url: string | null = null;
  const box = document.createElement('div');
  box.className = 'lightbox';
  box.dataset.testid = 'photo-lightbox';
  box.setAttribute('role', 'dialog');
  box.setAttribute('aria-modal', 'true');
  const several = ids.length > 1;
  box.innerHTML = `<button type="button" class="lb-close" data-lb="close" data-testid="photo-lightbox-close" aria-label="${esc(t('photo.close'))}">✕</button>
    ${several ? `<button type="button" class="lb-prev" data-lb="prev" aria-label="${esc(t('photo.prev'))}">‹</button><button type="button" class="lb-next" data-lb="next" aria-label="${esc(t('photo.next'))}">›</button>` : ''}
    <figure><img alt="" data-testid="photo-full" /><figcaption></figcaption></figure>`;
  const img = box.querySelector('img')!;
  const caption = box.querySelector('figcaption')!;
  const show = async (n: number) => {
    at = (n + ids.length) % ids.length;
    const id = ids[at]!;
    caption.textContent = several ? `${at + 1} / ${ids.length}` : '';
    box.classList.add('loading');
    box.classList.remove('failed');
    try {
      const b = await api.blob(`/api/attachments/${id}`);
      if (closeOpen !== close || ids[at] !== id) return;
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(b);
      img.src = url;
      img.dataset.photo = id;
    } catch {
      if (closeOpen !== close || ids[at] !== id) return;
      box.classList.add('failed');
      caption.textContent = t('photo.failed');
    } finally {
      box.classList.remove('loading');
    }
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') close();
    else if (several && ev.key === 'ArrowLeft') void show(at - 1);
    else if (several && ev.key === 'ArrowRight') void show(at + 1);
    else return;
    ev.preventDefault();
  };
  function close(): void {
    if (closeOpen !== close) return;
    closeOpen = null;
    document.removeEventListener('keydown', onKey, true);
    box.remove();
    if (url) URL.revokeObjectURL(url);
    url = null;
  }
  box.addEventListener('click', (ev) => {
    const what = (ev.target as HTMLElement).closest<HTMLElement>('[data-lb]')?.dataset.lb;
    if (what === 'prev') void show(at - 1);
    else if (what === 'next') void show(at + 1);
    else if (what === 'close' || ev.target === box || ev.target === box.querySelector('figure')) close();
  });
  document.addEventListener('keydown', onKey, true);
  closeOpen = close;
  document.body.append(box);
  box.querySelector<HTMLElement>('.lb-close')!.focus();
  void show(at);
}
