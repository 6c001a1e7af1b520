// 处置前 / 处置后 photos: the worker picks photos (the camera, or the gallery)
// for 开始处置 and for 办结, 现场照片 for a new report (上报事件) and 检查照片
// for a venue inspection (场所检查, venueSheet.ts); each
// shows at once from the phone's own file, uploads in the background (POST
// /api/attachments, one at a time, the body streamed from the file so a large
// photo never blocks the page) and the action or the report is sent with the
// ids once they are all in. A photo over the server's limit is first made
// smaller here; a refusal says why, under the photo.

import type { Api } from '../shared/api';
import { errorWithDetail } from '../shared/errors';
import { esc } from '../shared/format';
import { addTranslations, t } from '../shared/i18n';
import type { Attachment } from '../shared/types';

addTranslations({
  zh: {
    'photo.before': '处置前照片',
    'photo.after': '处置后照片',
    'photo.scene': '现场照片',
    'photo.venue': '检查照片',
    'photo.add': '拍照/选图',
    'photo.remove': '移除照片',
    'photo.uploading': '照片上传中…',
    'photo.failed_n': '第 {n} 张照片上传失败',
    'photo.fix': '请移除失败的照片或重试后再提交',
    'photo.too_many': '最多 {n} 张照片',
  },
  en: {
    'photo.before': 'Photos before',
    'photo.after': 'Photos after',
    'photo.scene': 'Photos of the scene',
    'photo.venue': 'Photos of the inspection',
    'photo.add': 'Take / pick',
    'photo.remove': 'Remove photo',
    'photo.uploading': 'Uploading photos…',
    'photo.failed_n': 'Photo {n} did not upload',
    'photo.fix': 'Remove the failed photos, or try again, before sending',
    'photo.too_many': 'At most {n} photos',
  },
});

/** Which photos: 处置前 (with 开始处置), 处置后 (with 办结), a new report's 现场照片, or a venue inspection's 检查照片. */
export type PhotoPhase = 'start' | 'handle' | 'report' | 'venue';
/** The phases of a task card. */
export type TaskPhase = Exclude<PhotoPhase, 'report' | 'venue'>;

const LABEL: Record<PhotoPhase, string> = { start: 'photo.before', handle: 'photo.after', report: 'photo.scene', venue: 'photo.venue' };

/** The server's limit for one image. */
export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
/** The photos one action may carry (the server takes up to 20 references). */
export const MAX_PICKS = 9;
/** The longest side a photo is shrunk to when it is over the limit or of a type the server refuses. */
export const SHRINK_SIDE = 2560;
const ACCEPTED = new Set(['image/jpeg', 'image/png', 'image/webp']);

/** Whether a file must be remade before upload: too large, or not JPEG/PNG/WebP (HEIC …). */
export function needsShrink(size: number, type: string): boolean {
  return size > MAX_UPLOAD_BYTES || !ACCEPTED.has(type);
}

/** The size a photo is drawn at so that its longer side is at most `max` (never enlarged). */
export function fitWithin(w: number, h: number, max = SHRINK_SIDE): [number, number] {
  const k = Math.min(1, max / Math.max(w, h, 1));
  return [Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))];
}

/** A JPEG of the photo no larger than SHRINK_SIDE; the file itself when the browser cannot decode it (the server then says why). */
async function shrink(file: Blob): Promise<Blob> {
  if (!needsShrink(file.size, file.type) || typeof createImageBitmap !== 'function') return file;
  try {
    const bmp = await createImageBitmap(file);
    const [w, h] = fitWithin(bmp.width, bmp.height);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d')!.drawImage(bmp, 0, 0, w, h);
    bmp.close();
    const out = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    return out ?? file;
  } catch {
    return file;
  }
}

type PickState = 'uploading' | 'done' | 'failed';

interface Pick {
  key: number;
  file: Blob;
  /** An object URL of the phone's own file, for the preview. */
  preview: string;
  state: PickState;
  id?: string;
  error?: string;
  upload: Promise<void>;
}

/** Uploads go one after another: a phone's uplink is better used by one at a time. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * The photos being picked, by key and phase: a task's id with `start` or
 * `handle` on the task cards, REPORT_KEY with `report` on the report form.
 */
export class PhotoPicks {
  private picks = new Map<string, Pick[]>();
  private next = 1;

  constructor(
    private readonly api: Api,
    /** A picker changed (a preview, an upload's state): redraw it. */
    private readonly changed: (task: string, phase: PhotoPhase) => void,
  ) {}

  private list(task: string, phase: PhotoPhase): Pick[] {
    const k = `${task}\u0000${phase}`;
    let l = this.picks.get(k);
    if (!l) this.picks.set(k, (l = []));
    return l;
  }

  /** Adds the files chosen (images only, up to MAX_PICKS) and starts uploading them. */
  add(task: string, phase: PhotoPhase, files: Iterable<File>): void {
    const l = this.list(task, phase);
    for (const file of files) {
      if (!file.type.startsWith('image/') || l.length >= MAX_PICKS) continue;
      const p: Pick = { key: this.next++, file, preview: URL.createObjectURL(file), state: 'uploading', upload: Promise.resolve() };
      l.push(p);
      p.upload = this.upload(task, phase, p);
    }
    this.changed(task, phase);
  }

  private upload(task: string, phase: PhotoPhase, p: Pick): Promise<void> {
    p.state = 'uploading';
    p.error = undefined;
    const run = queue.then(async () => {
      if (!this.picks.get(`${task}\u0000${phase}`)?.includes(p)) return;
      try {
        const a = await this.api.upload<Attachment>('/api/attachments', await shrink(p.file));
        p.id = a.id;
        p.state = 'done';
      } catch (e) {
        p.state = 'failed';
        p.error = errorWithDetail(e, 'upload');
      }
      this.changed(task, phase);
    });
    queue = run;
    return run;
  }

  remove(task: string, phase: PhotoPhase, key: number): void {
    const l = this.list(task, phase);
    const n = l.findIndex((p) => p.key === key);
    if (n < 0) return;
    URL.revokeObjectURL(l[n]!.preview);
    l.splice(n, 1);
    this.changed(task, phase);
  }

  /** Forgets a task's photos (sent, or the task is gone), freeing the previews. */
  clear(task: string, phase?: PhotoPhase): void {
    for (const ph of phase ? [phase] : (Object.keys(LABEL) as PhotoPhase[])) {
      for (const p of this.picks.get(`${task}\u0000${ph}`) ?? []) URL.revokeObjectURL(p.preview);
      this.picks.delete(`${task}\u0000${ph}`);
    }
  }

  /** How many photos a picker holds. */
  count(task: string, phase: PhotoPhase): number {
    return this.picks.get(`${task}\u0000${phase}`)?.length ?? 0;
  }

  /** Forgets the photos of tasks no longer on the list. */
  keepOnly(tasks: ReadonlySet<string>): void {
    for (const k of [...this.picks.keys()]) {
      const [task, phase] = k.split('\u0000') as [string, PhotoPhase];
      if (!tasks.has(task)) this.clear(task, phase);
    }
  }

  uploading(task: string, phase: PhotoPhase): boolean {
    return (this.picks.get(`${task}\u0000${phase}`) ?? []).some((p) => p.state === 'uploading');
  }

  /**
   * The ids of the photos, once every upload has finished; failed ones are
   * tried once more. Null while any still fails (each says why under it).
   */
  async ids(task: string, phase: PhotoPhase): Promise<string[] | null> {
    const l = this.list(task, phase);
    await Promise.all(l.map((p) => p.upload));
    const failed = l.filter((p) => p.state === 'failed');
    if (failed.length) {
      for (const p of failed) p.upload = this.upload(task, phase, p);
      this.changed(task, phase);
      await Promise.all(failed.map((p) => p.upload));
    }
    const now = this.list(task, phase);
    return now.every((p) => p.state === 'done') ? now.map((p) => p.id!) : null;
  }

  /** The picker of one action: the file input (camera first), the previews with their state, what went wrong. */
  html(task: string, phase: PhotoPhase): string {
    const l = this.picks.get(`${task}\u0000${phase}`) ?? [];
    const label = t(LABEL[phase]);
    const previews = l
      .map(
        (p, n) => `<figure class="pick ${p.state}" data-pick="${p.key}" data-state="${p.state}" data-testid="photo-preview"${p.id ? ` data-attachment="${p.id}"` : ''}>
          <img src="${esc(p.preview)}" alt="${esc(`${label} ${n + 1}`)}" />
          <button type="button" data-unpick="${p.key}" aria-label="${esc(t('photo.remove'))}" title="${esc(t('photo.remove'))}">✕</button>
          <span class="pick-state">${p.state === 'done' ? '✓' : p.state === 'failed' ? '✗' : '…'}</span></figure>`,
      )
      .join('');
    const errors = l
      .map((p, n) => (p.state === 'failed' ? `<li>${esc(t('photo.failed_n').replace('{n}', String(n + 1)))}${esc(t('colon'))}${esc(p.error ?? '')}</li>` : ''))
      .join('');
    const full = l.length >= MAX_PICKS;
    return `<div class="photo-pick" data-photo-key="${esc(task)}" data-photo-phase="${phase}" data-testid="photo-pick-${phase}">
      <label class="photo-add${full ? ' full' : ''}" title="${esc(full ? t('photo.too_many').replace('{n}', String(MAX_PICKS)) : label)}">＋ ${esc(label)}
        <input type="file" accept="image/*" capture="environment" multiple ${full ? 'disabled' : ''} data-photo-input="${phase}" data-testid="photo-input-${phase}" /></label>
      ${previews ? `<div class="picks">${previews}</div>` : ''}
      ${errors ? `<ul class="error photo-errors" role="alert" data-testid="photo-error-${phase}">${errors}</ul>` : ''}</div>`;
  }
}

/** The key of the report form's picker (its phase is `report`). */
export const REPORT_KEY = 'new-report';

/**
 * Wires the pickers drawn inside `list` (a task list, the report form): files
 * chosen (also into a picker redrawn meanwhile), a preview removed, and the
 * redraw of just the picker that changed (the other fields, a note being
 * typed, are left alone).
 */
export function bindPhotoPicks(list: HTMLElement, api: Api): PhotoPicks {
  const picks = new PhotoPicks(api, (task, phase) => {
    const el = list.querySelector(`[data-photo-key="${CSS.escape(task)}"][data-photo-phase="${phase}"]`);
    if (el) el.outerHTML = picks.html(task, phase);
  });
  const where = (el: HTMLElement) => {
    const pick = el.closest<HTMLElement>('[data-photo-phase]');
    const task = pick?.dataset.photoKey;
    const phase = pick?.dataset.photoPhase as PhotoPhase | undefined;
    return task && phase ? { task, phase } : null;
  };
  // Each file input is listened to on itself, not through `list`: the list
  // may be redrawn (a pushed update, a move of the phone) while the camera
  // is open, and then the chosen files arrive on an input no longer in the
  // page, whose change never reaches `list` — the photo was lost without a
  // word. Its old picker still carries the task and the phase.
  const wired = new WeakSet<HTMLInputElement>();
  const wire = () => {
    for (const input of list.querySelectorAll<HTMLInputElement>('input[data-photo-input]')) {
      if (wired.has(input)) continue;
      wired.add(input);
      input.addEventListener('change', () => {
        const at = where(input);
        if (!at || !input.files) return;
        const files = [...input.files];
        input.value = '';
        picks.add(at.task, at.phase, files);
      });
    }
  };
  new MutationObserver(wire).observe(list, { childList: true, subtree: true });
  wire();
  list.addEventListener('click', (ev) => {
    const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-unpick]');
    const at = b ? where(b) : null;
    if (at) picks.remove(at.task, at.phase, Number(b!.dataset.unpick));
  });
  return picks;
}
