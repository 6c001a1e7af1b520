import { describe, expect, it } from 'vitest';
import { Api } from '../shared/api';
import { setLang } from '../shared/i18n';
import type { CategoryNode } from '../shared/types';
import { PhotoPicks, REPORT_KEY } from './photoPicks';
import { reportBody, reportFormHtml } from './reportForm';

const categories: CategoryNode[] = [
  { code: '01', name: '矛盾纠纷', name_en: 'Disputes', children: [{ code: '0101', name: '家庭纠纷', name_en: 'Family' }, { code: '0102', name: '邻里纠纷', name_en: 'Neighbours' }] },
] as CategoryNode[];
const id = 'a'.repeat(64);

/** An Api whose uploads answer from `answer` (an id, or a refusal). */
function fakeApi(answer: (n: number) => string | Error): Api {
  const api = new Api();
  let n = 0;
  api.upload = (async () => {
    const a = answer(n++);
    if (a instanceof Error) throw a;
    return { id: a, mime: 'image/png', width: 1, height: 1, size: 1 };
  }) as Api['upload'];
  return api;
}
const photo = (name = 'p.png') => new File([new Uint8Array([137, 80, 78, 71])], name, { type: 'image/png' });

describe('上报事件 form', () => {
  it('sends a patrol report at the position, with photos only when there are some', () => {
    const v = { category: '0102', priority: 'urgent', description: '井盖缺失' };
    expect(reportBody(v, { lon: 120.6, lat: 28 }, [])).toEqual({ category: '0102', priority: 'urgent', source: 'patrol', description: '井盖缺失', lon: 120.6, lat: 28 });
    expect(reportBody(v, { lon: 120.6, lat: 28 }, [id]).photos).toEqual([id]);
    expect(reportBody({ ...v, priority: 'whatever' }, { lon: 0, lat: 0 }, []).priority).toBe('normal');
  });
  it('keeps what was filled in across a redraw, in either language, with the photo picker before the button', () => {
    setLang('en');
    const html = reportFormHtml(categories, true, { category: '0102', priority: 'emergency', description: 'a <b>hole</b>' }, '<div class="photo-pick"></div>');
    expect(html).toContain('<option value="0102" selected>Neighbours</option>');
    expect(html).toContain('<option value="emergency" selected>Emergency</option>');
    expect(html).toContain('>a &lt;b&gt;hole&lt;/b&gt;</textarea>');
    expect(html.indexOf('photo-pick')).toBeLessThan(html.indexOf('type="submit"'));
    setLang('zh');
    const fresh = reportFormHtml(categories, false, null, '');
    expect(fresh).toContain('<optgroup label="矛盾纠纷">');
    expect(fresh).toContain('<option value="normal" selected>一般</option>');
    expect(fresh).not.toMatch(/value="01\d\d" selected/);
  });
});

describe('现场照片 (the report form’s picker)', () => {
  it('offers the camera for the report, keyed apart from the task cards', () => {
    setLang('zh');
    const picks = new PhotoPicks(new Api(), () => undefined);
    const html = picks.html(REPORT_KEY, 'report');
    expect(html).toContain(`data-photo-key="${REPORT_KEY}" data-photo-phase="report"`);
    expect(html).toContain('data-testid="photo-input-report"');
    expect(html).toMatch(/type="file" accept="image\/\*" capture="environment" multiple/);
    expect(html).toContain('现场照片');
    setLang('en');
    expect(picks.html(REPORT_KEY, 'report')).toContain('Photos of the scene');
    setLang('zh');
  });
  it('uploads in the background and gives the ids once all are in; clearing frees them', async () => {
    const redrawn: string[] = [];
    const picks = new PhotoPicks(fakeApi(() => id), (k, ph) => redrawn.push(`${k}/${ph}`));
    picks.add(REPORT_KEY, 'report', [photo(), new File(['x'], 'notes.txt', { type: 'text/plain' })]);
    expect(picks.count(REPORT_KEY, 'report')).toBe(1);
    expect(picks.uploading(REPORT_KEY, 'report')).toBe(true);
    expect(await picks.ids(REPORT_KEY, 'report')).toEqual([id]);
    expect(picks.html(REPORT_KEY, 'report')).toContain(`data-state="done" data-testid="photo-preview" data-attachment="${id}"`);
    expect(redrawn).toContain(`${REPORT_KEY}/report`);
    // The task cards' own bookkeeping leaves the report's photos alone.
    picks.keepOnly(new Set([REPORT_KEY]));
    expect(picks.count(REPORT_KEY, 'report')).toBe(1);
    picks.clear(REPORT_KEY);
    expect(picks.count(REPORT_KEY, 'report')).toBe(0);
    expect(await picks.ids(REPORT_KEY, 'report')).toEqual([]);
  });
  it('tries a failed upload once more when sending, and says under the photo why it still fails', async () => {
    const picks = new PhotoPicks(fakeApi(() => new Error('refused')), () => undefined);
    picks.add(REPORT_KEY, 'report', [photo()]);
    expect(await picks.ids(REPORT_KEY, 'report')).toBeNull();
    const html = picks.html(REPORT_KEY, 'report');
    expect(html).toContain('data-state="failed"');
    expect(html).toContain('data-testid="photo-error-report"');
    expect(html).toContain('第 1 张照片上传失败');
    // Failing once, then taken: the retry on sending gets it in.
    const again = new PhotoPicks(fakeApi((n) => (n === 0 ? new Error('network') : id)), () => undefined);
    again.add(REPORT_KEY, 'report', [photo()]);
    expect(await again.ids(REPORT_KEY, 'report')).toEqual([id]);
  });
  it('takes at most nine', () => {
    const picks = new PhotoPicks(fakeApi(() => id), () => undefined);
    picks.add(REPORT_KEY, 'report', Array.from({ length: 12 }, (_, n) => photo(`${n}.png`)));
    expect(picks.count(REPORT_KEY, 'report')).toBe(9);
    expect(picks.html(REPORT_KEY, 'report')).toMatch(/multiple disabled/);
  });
});
