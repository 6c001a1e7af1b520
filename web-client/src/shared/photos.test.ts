import { afterEach, describe, expect, it, vi } from 'vitest';
import { Api, ApiError, errorFrom } from './api';
import { errorWithDetail } from './errors';
import { setLang } from './i18n';
import { isAttachmentId, photoSlot, refLabel, splitPhotos, UrlBook } from './photos';

const ID = 'a'.repeat(40) + '0123456789abcdef01234567';

describe('photos', () => {
  it('tells attachment ids (64 lower-case hex) from legacy references', () => {
    expect(ID).toHaveLength(64);
    expect(isAttachmentId(ID)).toBe(true);
    expect(isAttachmentId(ID.toUpperCase())).toBe(false);
    expect(isAttachmentId(ID.slice(1))).toBe(false);
    expect(isAttachmentId(`${ID}0`)).toBe(false);
    expect(isAttachmentId('photo://2026/11/23/a.jpg')).toBe(false);
    expect(isAttachmentId('g'.repeat(64))).toBe(false);
  });
  it('splits a photos list into ids (each once, in order) and text references', () => {
    const other = 'f'.repeat(64);
    expect(splitPhotos([ID, 'photo://a.jpg', other, ID, '  ', 'p1'])).toEqual({ ids: [ID, other], refs: ['photo://a.jpg', 'p1'] });
    expect(splitPhotos(undefined)).toEqual({ ids: [], refs: [] });
  });
  it('labels a reference by its last segment, shortened', () => {
    expect(refLabel('photo://2026/11/23/a.jpg')).toBe('a.jpg');
    expect(refLabel('p1')).toBe('p1');
    expect(refLabel(`x/${'b'.repeat(40)}`)).toHaveLength(24);
  });
  it('leaves a slot only where there are photos', () => {
    expect(photoSlot('incident', [])).toBe('');
    expect(photoSlot('incident', undefined)).toBe('');
    expect(photoSlot('log-3', [ID])).toContain('data-photos="log-3"');
  });
});

describe('object URLs of thumbnails', () => {
  afterEach(() => vi.useRealTimers());
  const book = () => {
    const revoked: string[] = [];
    let n = 0;
    const b = new UrlBook(1000, { create: () => `blob:${++n}`, revoke: (u) => revoked.push(u) });
    return { b, revoked };
  };
  it('fetches once for every strip showing it, and revokes a while after the last lets go', async () => {
    vi.useFakeTimers();
    const { b, revoked } = book();
    const load = vi.fn(async () => new Blob(['x']));
    expect(await b.take('/t/1', load)).toBe('blob:1');
    expect(await b.take('/t/1', load)).toBe('blob:1');
    expect(load).toHaveBeenCalledTimes(1);
    b.give('/t/1');
    b.give('/t/1');
    // A redraw takes it again before the delay: kept.
    expect(await b.take('/t/1', load)).toBe('blob:1');
    await vi.advanceTimersByTimeAsync(5000);
    expect(revoked).toEqual([]);
    b.give('/t/1');
    await vi.advanceTimersByTimeAsync(1000);
    expect(revoked).toEqual(['blob:1']);
    expect(b.size).toBe(0);
  });
  it('tries a failed load again on the next take', async () => {
    const { b } = book();
    await expect(b.take('/t/2', async () => Promise.reject(new Error('404')))).rejects.toThrow();
    await Promise.resolve();
    expect(await b.take('/t/2', async () => new Blob(['y']))).toBe('blob:1');
  });
});

describe('file requests', () => {
  afterEach(() => vi.unstubAllGlobals());
  it('uploads the raw bytes with the file type and the token, and reads the JSON answer', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ id: ID, mime: 'image/jpeg', width: 4, height: 3, size: 9 }), { status: 201 }));
    vi.stubGlobal('fetch', fetch);
    const file = new Blob(['jpegbytes'], { type: 'image/jpeg' });
    const a = await new Api('tok').upload<{ id: string }>('/api/attachments', file);
    expect(a.id).toBe(ID);
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/attachments');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(file);
    expect(init.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'image/jpeg' });
  });
  it("fetches a file as a Blob, and says the server's refusal", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(new Blob(['img']), { status: 200 })));
    expect(await (await new Api('tok').blob('/api/attachments/x/thumb')).text()).toBe('img');
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: 'not an image' }), { status: 415 })));
    const e = await new Api('tok').upload('/api/attachments', new Blob(['x'], { type: 'text/plain' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).message).toBe('not an image');
  });
  it('reads a bare {"error": sentence} as the message, and shows it after the localized sentence', () => {
    setLang('zh');
    const e = errorFrom(413, JSON.stringify({ error: 'image larger than 8 MiB' }));
    expect(e.message).toBe('image larger than 8 MiB');
    expect(errorWithDetail(e, 'upload')).toBe('照片过大（最大 8 MB），请换一张或降低相机分辨率：image larger than 8 MiB');
    // A bare code adds nothing.
    expect(errorWithDetail(errorFrom(415, JSON.stringify({ error: 'unsupported_media_type' })), 'upload')).toBe('不是可接受的图片（仅限 JPEG、PNG、WebP）');
    expect(errorWithDetail(new TypeError('fetch failed'), 'upload')).toBe('网络连接失败，请检查网络后重试');
  });
});
