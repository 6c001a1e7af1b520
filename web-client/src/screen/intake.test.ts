import { beforeEach, describe, expect, it } from 'vitest';
import { setLang } from '../shared/i18n';
import type { Incident } from '../shared/types';
import { channelMix, satisfactionFigures } from './intakeStats';
import { intakeHtml, mergeButtonHtml, replyFieldHtml, starsText, withReply } from './intakeView';

const incident = (over: Partial<Incident>): Incident => ({
  id: 'SJ1', category: '0101', source: 'citizen', priority: 'normal', lon: 0, lat: 0, grid: 'G', area: 'A',
  description: '', state: 'closed', assignee_staff: null, created_ms: 0, updated_ms: 0, warning: 'green', version: 1, ...over,
});

beforeEach(() => setLang('zh'));

describe('channel mix', () => {
  it('lists every channel, the largest first, ties in the usual order, new channels after', () => {
    const rows = channelMix({ citizen: 3, patrol: 5, camera: 3, wechat: 2 });
    expect(rows.map((r) => r.source)).toEqual(['patrol', 'citizen', 'camera', 'wechat', 'hotline', 'system']);
    expect(rows[0]!.share).toBeCloseTo(5 / 13);
    expect(rows.find((r) => r.source === 'hotline')!.share).toBe(0);
  });
  it('is all zeros, in the usual order, without figures', () => {
    expect(channelMix(undefined).map((r) => [r.source, r.count, r.share])).toEqual([
      ['patrol', 0, 0], ['citizen', 0, 0], ['hotline', 0, 0], ['camera', 0, 0], ['system', 0, 0],
    ]);
    expect(channelMix({ patrol: -1 })[0]!.count).toBe(0);
  });
});

describe('satisfaction', () => {
  it('reads the average to one decimal and the satisfied rate as a percentage', () => {
    expect(satisfactionFigures({ rated: 12, average: 4.1666, satisfied_rate: 0.8333 })).toEqual({ average: '4.2', rate: '83.3%', rated: 12 });
    expect(satisfactionFigures({ rated: 1, average: 5, satisfied_rate: 1 })).toEqual({ average: '5.0', rate: '100.0%', rated: 1 });
  });
  it('is nothing without ratings', () => {
    expect(satisfactionFigures({ rated: 0, average: null, satisfied_rate: null })).toBeNull();
    expect(satisfactionFigures(undefined)).toBeNull();
  });
  it('draws a score as five stars', () => {
    expect(starsText(4)).toBe('★★★★☆');
    expect(starsText(9)).toBe('★★★★★');
    expect(starsText(0)).toBe('☆☆☆☆☆');
  });
});

describe('the drawer intake', () => {
  it('shows the tracking code, ticket, alarm, rating and reply, escaped', () => {
    const html = intakeHtml(
      incident({
        intake: {
          tracking_code: 'AB23CD45EF',
          phone: '138****8000',
          external: { source: 'hotline12345', ticket: 'T<1>' },
          alarm: { camera: 'C1', kind: 'crowd', count: 3 },
          rating: { score: 4, comment: '处理<很快>', at_ms: 0 },
          reply: '已清理',
        },
      }),
    );
    expect(html).toContain('data-testid="intake-tracking"');
    expect(html).toContain('AB23CD45EF');
    expect(html).toContain('138****8000');
    expect(html).toContain('T&lt;1&gt;');
    expect(html).toContain('触发 3 次');
    expect(html).toContain('data-score="4"');
    expect(html).toContain('★★★★☆');
    expect(html).toContain('处理&lt;很快&gt;');
    expect(html).toContain('data-testid="intake-reply"');
  });
  it('says a citizen report is not rated yet; an internal one shows its source only', () => {
    expect(intakeHtml(incident({ intake: { tracking_code: 'X' } }))).toContain('尚未评价');
    const internal = intakeHtml(incident({ source: 'patrol' }));
    expect(internal).toContain('巡查上报');
    expect(internal).not.toContain('incident-intake');
  });
  it('offers the reply field with close, reject or merge, and sends it only with them', () => {
    expect(replyFieldHtml(new Set(['accept', 'dispatch']), '')).toBe('');
    expect(replyFieldHtml(new Set(['close']), 'a<b')).toContain('data-testid="public-reply"');
    expect(replyFieldHtml(new Set(['reject']), 'a<b')).toContain('a&lt;b');
    expect(withReply({ action: 'close', comment: 'ok' }, '  已处理完毕 ')).toEqual({ action: 'close', comment: 'ok', reply: '已处理完毕' });
    expect(withReply({ action: 'reject' }, '   ')).toEqual({ action: 'reject' });
    expect(withReply({ action: 'accept' }, '答复')).toEqual({ action: 'accept' });
  });
  it('offers merging into the possible duplicate when allowed', () => {
    const i = incident({ possible_duplicate_of: 'SJ0' });
    expect(mergeButtonHtml(i, new Set(['merge']))).toContain('data-into="SJ0"');
    expect(mergeButtonHtml(i, new Set(['accept']))).toBe('');
    expect(mergeButtonHtml(incident({}), new Set(['merge']))).toBe('');
  });
});
