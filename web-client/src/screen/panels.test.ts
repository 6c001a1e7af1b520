import { afterEach, describe, expect, it } from 'vitest';
import { missingTranslations, setLang } from '../shared/i18n';
import { renderStaff, renderTicker } from './panels';

afterEach(() => setLang('zh'));

/** What a panel function wrote, as text without its tags. */
function text(write: (el: HTMLElement) => void): string {
  const el = { innerHTML: '' } as HTMLElement;
  write(el);
  return el.innerHTML.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ');
}

describe('the side panels', () => {
  it('says what an empty ticker is waiting for, not a bare 暂无', () => {
    expect(text((el) => renderTicker(el, []))).toContain('暂无时限预警');
    setLang('en');
    expect(text((el) => renderTicker(el, []))).toContain('No deadline warnings');
    expect(missingTranslations()).toEqual([]);
  });

  it('says in the heading when the figures are those in view', () => {
    const heading = { dataset: {} as DOMStringMap };
    const el = { innerHTML: '', parentElement: { querySelector: () => heading } } as unknown as HTMLElement;
    renderStaff(el, new Map(), true, 600_000);
    expect(heading.dataset.hint).toBe('(视野内)');
    expect(el.innerHTML).not.toContain('视野内');
    renderStaff(el, new Map(), false, 600_000);
    expect(heading.dataset.hint).toBe('');
  });

  it("gives the offline threshold in the legend in whole units, whatever the server's setting", () => {
    const staff = (staleAfterMs: number) => text((el) => renderStaff(el, new Map(), false, staleAfterMs));
    expect(staff(10 * 60_000)).toContain('离线（10分钟无定位）');
    expect(staff(100 * 365 * 86_400_000)).toContain('离线（36500天0小时无定位）');
    setLang('en');
    expect(staff(10 * 60_000)).toContain('Offline (no fix for 10m)');
    expect(staff(2 * 3_600_000)).toContain('Offline (no fix for 2h 0m)');
  });

  it("draws a city's six- and seven-digit headline figures smaller, a district's as they were", () => {
    const el = { innerHTML: '' } as HTMLElement;
    const counts = (online: number, onDuty: number) => new Map([['grid_worker' as const, { online, onDuty, busy: 0 }]]);
    renderStaff(el, counts(100_000, 66_630), false, 600_000);
    expect(el.innerHTML).toContain('<div class="big long">');
    renderStaff(el, counts(18_961, 12_668), false, 600_000);
    expect(el.innerHTML).toContain('<div class="big">');
  });
});
