// 电子围栏 (its own tab, /admin#fences): the geofences of the administrator's
// area (GET /api/fences) with a search box, each with 删除 (asked first);
// and 导入围栏: a .geojson file (a Feature or a FeatureCollection) checked
// here first, then sent to add or replace fences by id (POST) or to replace
// all of the area's (PUT, asked first). The server's counts are said on
// success, its own words on a refusal.

import { ApiError } from '../shared/api';
import { errorWithDetail } from '../shared/errors';
import { detectText, type Fence, FENCES_PATH, fencePath, fencesFrom } from '../shared/fences';
import { esc, formatDateTime } from '../shared/format';
import { t } from '../shared/i18n';
import type { AdminContext } from './accountForms';
import { fill } from './dialog';
import { renderListing } from './listing';
import './fenceLabels';
import { type FenceSaveMode, filterFences, MAX_ROWS, readFenceFile, SAVE_MODES, savedText, saveMethod } from './fences';

export class FencesSection {
  private fences: Fence[] | null = null;
  private error: unknown = null;
  private filter = '';
  private mode: FenceSaveMode = 'add';
  private loaded = false;
  private busy = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly ctx: AdminContext,
  ) {
    host.addEventListener('input', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name !== 'fence-q') return;
      this.filter = input.value;
      this.renderTable();
    });
    host.addEventListener('change', (ev) => {
      const input = ev.target as HTMLInputElement;
      if (input.name === 'fence-mode') this.mode = input.value as FenceSaveMode;
    });
    host.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.importFile(ev.target as HTMLFormElement);
    });
    host.addEventListener('click', (ev) => {
      const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button');
      if (b?.dataset.deleteFence) {
        const fence = this.fences?.find((f) => f.id === b.dataset.deleteFence);
        if (fence) void this.remove(fence, b);
      } else if (b?.dataset.refreshFences !== undefined) void this.loadFences();
    });
  }

  /** Reads the fences the first time the tab shows. */
  async load(): Promise<void> {
    if (this.loaded) return;
    this.loaded = true;
    await this.loadFences();
  }

  private async loadFences(): Promise<void> {
    try {
      this.fences = fencesFrom(await this.ctx.api.get<unknown>(FENCES_PATH));
      this.error = null;
    } catch (e) {
      this.error = e;
    }
    this.renderTable();
  }

  render(): void {
    const modes = SAVE_MODES.map(
      (m) => `<label><input type="radio" name="fence-mode" value="${m}" ${m === this.mode ? 'checked' : ''} data-testid="fence-mode-${m}" /> ${esc(t(`fence.mode.${m}`))}</label>`,
    ).join('');
    this.host.innerHTML = `<section class="card" data-testid="fences-section">
      <h2>${esc(t('fence.list'))}</h2>
      <p class="hint">${esc(t('fence.list_hint'))}</p>
      <div class="toolbar"><input name="fence-q" type="search" value="${esc(this.filter)}" placeholder="${esc(t('fence.filter'))}" aria-label="${esc(t('fence.filter'))}" data-testid="fence-filter" />
        <span class="count" data-testid="fence-count"></span>
        <button type="button" data-refresh-fences data-testid="refresh-fences">⟳ ${esc(t('fence.refresh'))}</button></div>
      <div class="flash" data-testid="fence-flash" hidden></div>
      <div class="fence-list" data-testid="fence-list"></div></section>
    <section class="card" data-testid="fence-import-section">
      <h2>${esc(t('fence.import'))}</h2>
      <p class="hint">${esc(t('fence.import_hint'))}</p>
      <form class="fence-import" data-testid="fence-import">
        <label class="file">${esc(t('fence.file'))} <input type="file" name="fence-file" accept=".geojson,.json,application/geo+json,application/json" data-testid="fence-file" /></label>
        <fieldset class="modes"><legend>${esc(t('fence.mode'))}</legend>${modes}</fieldset>
        <div class="buttons"><button type="submit" class="primary" ${this.busy ? 'disabled' : ''} data-testid="fence-import-submit">⇪ ${esc(t('fence.import_ok'))}</button></div>
      </form>
      <div class="flash" data-testid="fence-import-flash" hidden></div></section>`;
    this.renderTable();
  }

  private renderTable(): void {
    const el = this.host.querySelector<HTMLElement>('.fence-list');
    const count = this.host.querySelector<HTMLElement>('[data-testid="fence-count"]');
    if (!el || !count) return;
    renderListing(el, count, {
      key: 'fence', all: this.fences, error: this.error, maxRows: MAX_ROWS,
      shown: (all) => filterFences(all, this.filter),
      table: fencesTableHtml,
    });
  }

  /** 删除: asked first; the row goes once the server has deleted it. */
  private async remove(f: Fence, button: HTMLButtonElement): Promise<void> {
    const ok = await this.ctx.dialog.confirm(t('fence.delete'), fill('fence.confirm_delete', { name: f.name, id: f.id }), t('fence.delete'), true);
    if (!ok) return;
    button.disabled = true;
    try {
      await this.ctx.api.delete(fencePath(f.id));
      this.fences = (this.fences ?? []).filter((x) => x.id !== f.id);
      this.renderTable();
      this.say('fence-flash', fill('fence.deleted', { name: f.name }), 'ok');
    } catch (e) {
      button.disabled = false;
      this.say('fence-flash', errorWithDetail(e, 'fence'), 'error', e);
      // Gone already (404): the list is read again to show what is there.
      if (e instanceof ApiError && e.status === 404) await this.loadFences();
    }
  }

  /** 导入: the file checked here, 全部替换 asked first, then sent; the list is read again after a save. */
  private async importFile(form: HTMLFormElement): Promise<void> {
    if (this.busy) return;
    const input = form.querySelector<HTMLInputElement>('input[name="fence-file"]')!;
    const file = input.files?.[0];
    if (!file) return this.say('fence-import-flash', t('fence.no_file'), 'error');
    const read = readFenceFile(await file.text());
    if (!read.ok) return this.say('fence-import-flash', `${fill('fence.file_refused', { file: file.name })}${fill(read.problem.key, read.problem.values)}`, 'error');
    const mode = this.mode;
    if (mode === 'replace') {
      const question = fill('fence.replace_confirm', { file: file.name, n: read.count });
      if (!(await this.ctx.dialog.confirm(t('fence.replace_title'), question, t('fence.replace_ok'), true))) return;
    }
    this.setBusy(form, true);
    try {
      const r = await this.ctx.api.request<{ saved: number; removed: number }>(saveMethod(mode), FENCES_PATH, read.body);
      input.value = '';
      this.say('fence-import-flash', savedText(r), 'ok');
      await this.loadFences();
    } catch (e) {
      this.say('fence-import-flash', errorWithDetail(e, 'fence'), 'error', e);
    } finally {
      this.setBusy(form, false);
    }
  }

  private setBusy(form: HTMLFormElement, busy: boolean): void {
    this.busy = busy;
    const b = form.querySelector<HTMLButtonElement>('[type="submit"]');
    if (b) b.disabled = busy;
  }

  /** A sentence over the list or under the import form; a refusal keeps the server's answer on hover. */
  private say(testid: string, text: string, kind: 'ok' | 'error', e?: unknown): void {
    const el = this.host.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
    if (!el) return;
    el.hidden = false;
    el.className = `flash ${kind}`;
    el.textContent = text;
    if (kind === 'error') el.setAttribute('role', 'alert');
    else el.removeAttribute('role');
    if (e instanceof ApiError) {
      el.title = `${e.status} ${e.code}: ${e.message}`;
      el.dataset.status = String(e.status);
    } else {
      el.removeAttribute('title');
      delete el.dataset.status;
    }
  }
}

/** The fences: id, name, the crossings they report, who saved them when, 删除. */
export function fencesTableHtml(list: readonly Fence[]): string {
  const head = ['fence.col.id', 'fence.col.name', 'fence.col.detect', 'fence.col.updated_by', 'fence.col.updated_at', 'fence.col.actions'];
  const rows = list.map(
    (f) => `<tr data-fence="${esc(f.id)}">
      <td class="username">${esc(f.id)}</td><td class="name">${esc(f.name)}</td>
      <td class="detect" data-detect="${esc(f.detect.join(','))}">${esc(detectText(f.detect))}</td>
      <td class="updated-by">${esc(f.updated_by ?? '—')}</td><td class="updated-at">${f.updated_ms === null ? '—' : esc(formatDateTime(f.updated_ms))}</td>
      <td class="actions"><button type="button" class="danger" data-delete-fence="${esc(f.id)}" data-testid="fence-delete">${esc(t('fence.delete'))}</button></td></tr>`,
  );
  return `<table class="accounts fences-table" data-testid="fences-table">
    <thead><tr>${head.map((k) => `<th>${esc(t(k))}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}
