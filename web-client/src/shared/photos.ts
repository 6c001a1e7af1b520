// 照片: the photos of an incident and of its flow-log steps. An uploaded image
// is an attachment id (64 hex, the sha256 the server gives it); anything else
// is an older text reference, shown as text. Attachments sit behind the login,
// and an <img src> cannot carry the bearer token: thumbnails are fetched with
// it and shown through object URLs, which are revoked once no strip shows them.

import '../styles/photos.css';
import type { Api } from './api';
import { esc } from './format';
import { addTranslations, t } from './i18n';
import { openLightbox } from './lightbox';

addTranslations({
  zh: {
    'photo.photos': '照片',
    'photo.open': '查看原图',
    'photo.failed': '图片无法加载',
    'photo.ref': '照片记录（旧格式）',
    'photo.close': '关闭',
    'photo.prev': '上一张',
    'photo.next': '下一张',
  },
  en: {
    'photo.photos': 'Photos',
    'photo.open': 'Open the full image',
    'photo.failed': 'The image could not be loaded',
    'photo.ref': 'Photo reference (older format)',
    'photo.close': 'Close',
    'photo.prev': 'Previous',
    'photo.next': 'Next',
  },
});

const ID = /^[0-9a-f]{64}$/;

/** An uploaded image's id: 64 lower-case hex characters. */
export function isAttachmentId(s: string): boolean {
  return ID.test(s);
}

/** The attachment ids (each once, in order) and the legacy text references of a `photos` list. */
export function splitPhotos(photos: readonly string[] | null | undefined): { ids: string[]; refs: string[] } {
  const ids: string[] = [];
  const refs: string[] = [];
  for (const p of photos ?? []) {
    if (isAttachmentId(p)) {
      if (!ids.includes(p)) ids.push(p);
    } else if (p.trim()) refs.push(p);
  }
  return { ids, refs };
}

export const imagePath = (id: string) => `/api/attachments/${id}`;
export const thumbPath = (id: string) => `/api/attachments/${id}/thumb`;

/** A legacy reference as a chip reads: its last path segment, at most 24 characters. */
export function refLabel(ref: string): string {
  const tail = ref.replace(/[/\\]+$/, '').split(/[/\\]/).pop() || ref;
  return tail.length > 24 ? `${tail.slice(0, 23)}…` : tail;
}

export interface UrlMaker {
  create(b: Blob): string;
  revoke(url: string): void;
}

/**
 * Object URLs by address, shared by whoever shows them. A panel redrawn as a
 * whole lets go of its thumbnails and takes them again at once, so an URL is
 * revoked only `keepMs` after its last user let go, unless taken again.
 */
export class UrlBook {
  private entries = new Map<string, { url: Promise<string>; users: number; timer: ReturnType<typeof setTimeout> | null }>();

  constructor(
    private readonly keepMs = 30_000,
    private readonly urls: UrlMaker = { create: (b) => URL.createObjectURL(b), revoke: (u) => URL.revokeObjectURL(u) },
  ) {}

  take(path: string, load: () => Promise<Blob>): Promise<string> {
    let e = this.entries.get(path);
    if (!e) {
      const entry = { url: load().then((b) => this.urls.create(b)), users: 0, timer: null };
      // A failed load is tried again by the next taker.
      entry.url.catch(() => this.entries.get(path) === entry && this.entries.delete(path));
      this.entries.set(path, entry);
      e = entry;
    }
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.users++;
    return e.url;
  }

  give(path: string): void {
    const e = this.entries.get(path);
    if (!e || --e.users > 0) return;
    e.timer = setTimeout(() => {
      this.entries.delete(path);
      e.url.then((u) => this.urls.revoke(u), () => undefined);
    }, this.keepMs);
  }

  /** How many URLs are held (for the tests). */
  get size(): number {
    return this.entries.size;
  }
}

const thumbs = new UrlBook();

export interface PhotoStrip {
  readonly el: HTMLElement;
  /** Lets go of the thumbnails (their URLs are revoked once nothing else shows them). */
  dispose(): void;
}

/** A row of thumbnails (a click opens the full image) and the legacy references as chips. */
export function photoStrip(api: Api, photos: readonly string[]): PhotoStrip {
  const { ids, refs } = splitPhotos(photos);
  const el = document.createElement('div');
  el.className = 'photo-strip';
  el.dataset.testid = 'photo-strip';
  el.innerHTML =
    ids
      .map(
        (id) =>
          `<button type="button" class="photo-thumb loading" data-photo="${id}" data-testid="photo-thumb" title="${esc(t('photo.open'))}" aria-label="${esc(t('photo.open'))}"><img alt="" /></button>`,
      )
      .join('') +
    refs.map((r) => `<span class="photo-ref" data-testid="photo-ref" title="${esc(`${t('photo.ref')}: ${r}`)}">${esc(refLabel(r))}</span>`).join('');
  let live = true;
  for (const b of el.querySelectorAll<HTMLElement>('[data-photo]')) {
    const path = thumbPath(b.dataset.photo!);
    thumbs.take(path, () => api.blob(path)).then(
      (url) => {
        if (!live) return;
        b.querySelector('img')!.src = url;
        b.classList.remove('loading');
      },
      () => {
        if (!live) return;
        b.classList.replace('loading', 'failed');
        b.title = t('photo.failed');
      },
    );
  }
  el.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-photo]');
    if (b) openLightbox(api, ids, ids.indexOf(b.dataset.photo!));
  });
  return {
    el,
    dispose() {
      if (!live) return;
      live = false;
      for (const id of ids) thumbs.give(thumbPath(id));
    },
  };
}

/** Where a strip goes in a panel drawn as HTML: filled by PhotoStrips.mount. */
export function photoSlot(key: string, photos: readonly string[] | null | undefined, label = ''): string {
  if (!photos?.length) return '';
  return `<div class="photo-slot" data-photos="${esc(key)}">${label ? `<span class="photo-label">${esc(label)}</span>` : ''}</div>`;
}

/**
 * The strips of a container redrawn as a whole (innerHTML): after each draw,
 * `mount` fills its `[data-photos]` slots and lets go of the previous strips.
 */
export class PhotoStrips {
  private strips: PhotoStrip[] = [];

  constructor(private readonly api: Api) {}

  mount(root: ParentNode, photosOf: (key: string) => readonly string[] | null | undefined): void {
    this.clear();
    for (const slot of root.querySelectorAll<HTMLElement>('[data-photos]')) {
      const photos = photosOf(slot.dataset.photos!);
      if (!photos?.length) continue;
      const s = photoStrip(this.api, photos);
      slot.append(s.el);
      this.strips.push(s);
    }
  }

  clear(): void {
    for (const s of this.strips) s.dispose();
    this.strips = [];
  }
}
