// Choosing an area down the tree: one select per level (区县 → 街镇 → 社区 →
// 网格), each listing the children of the choice before it, so that a city's
// thousands of grids are never one list. The deepest choice is the value.

import { esc } from '../shared/format';
import { t } from '../shared/i18n';
import type { AreaIndex } from './areas';

export class AreaPicker {
  /** The chosen areas, the top first; empty for "no area". */
  private path: string[] = [];
  private allowNone = false;
  private disabled = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly areas: AreaIndex,
    private readonly onChange: () => void,
  ) {
    host.classList.add('area-picker');
    host.dataset.testid = 'area-picker';
    host.addEventListener('change', (ev) => {
      const s = ev.target as HTMLSelectElement;
      const depth = Number(s.dataset.depth);
      this.path = [...this.path.slice(0, depth), ...(s.value ? [s.value] : [])];
      this.render();
      this.onChange();
    });
  }

  /** The chosen area's code; '' for no area (a city-wide administrator's login). */
  get value(): string {
    return this.path.at(-1) ?? '';
  }

  /**
   * Shows `code` (its chain of ancestors chosen level by level). `allowNone`:
   * "no area" is offered, for an administrator's login made by a city-wide one.
   */
  set(code: string, opts: { allowNone: boolean; disabled?: boolean }): void {
    this.allowNone = opts.allowNone;
    this.disabled = opts.disabled ?? false;
    this.path = this.areas.chain(code).map((a) => a.code);
    this.render();
  }

  /** Offers or withdraws "no area"; withdrawn while chosen, the top area is chosen instead. */
  setAllowNone(allow: boolean): void {
    if (allow === this.allowNone) return;
    this.allowNone = allow;
    this.render();
  }

  private render(): void {
    const roots = this.areas.roots();
    if (this.path.length === 0 && !this.allowNone && roots[0]) this.path = [roots[0].code];
    const selects: string[] = [];
    const top = [
      ...(this.allowNone ? [`<option value="">${esc(t('form.area_none'))}</option>`] : []),
      ...roots.map((a) => option(a.code, a.name, this.path[0])),
    ];
    selects.push(this.select(0, top, roots[0] ? t(`level.${roots[0].level}`) : ''));
    for (let depth = 0; depth < this.path.length; depth++) {
      const parent = this.areas.byCode.get(this.path[depth]!)!;
      const children = this.areas.childrenOf(parent.code);
      if (children.length === 0) break;
      const opts = [
        `<option value="">${esc(t('form.area_here').replace('{name}', parent.name))}</option>`,
        ...children.map((a) => option(a.code, a.name, this.path[depth + 1])),
      ];
      selects.push(this.select(depth + 1, opts, t(`level.${children[0]!.level}`)));
    }
    this.host.innerHTML = selects.join('');
  }

  private select(depth: number, options: string[], level: string): string {
    return `<select data-depth="${depth}" aria-label="${esc(level)}" ${this.disabled ? 'disabled' : ''}>${options.join('')}</select>`;
  }
}

const option = (code: string, name: string, chosen: string | undefined) =>
  `<option value="${esc(code)}" ${code === chosen ? 'selected' : ''}>${esc(name)}</option>`;
