// The page's one modal <dialog>: a form at a time (create, edit, reset,
// confirm). The browser keeps focus inside it and closes it on Escape.

import { esc } from '../shared/format';
import { t } from '../shared/i18n';

export class Dialog {
  constructor(readonly el: HTMLDialogElement) {
    // Whatever closed it (Escape, a cancel button, a finished form), nothing
    // stays behind; unless another form was opened before the event came.
    el.addEventListener('close', () => {
      if (!el.open) el.innerHTML = '';
    });
    el.addEventListener('click', (ev) => {
      if ((ev.target as HTMLElement).closest('[data-cancel]')) el.close();
    });
  }

  /** Shows a form; its `[data-cancel]` buttons close it. */
  open(html: string): HTMLFormElement {
    this.el.innerHTML = html;
    if (!this.el.open) this.el.showModal();
    const form = this.el.querySelector('form')!;
    form.querySelector<HTMLElement>('input:not([type=hidden]):not([disabled]), select:not([disabled])')?.focus();
    return form;
  }

  close(): void {
    this.el.close();
  }

  /** Asks before something that cannot be taken back quietly; true if confirmed. */
  confirm(title: string, message: string, ok: string, danger = false): Promise<boolean> {
    return new Promise((resolve) => {
      const form = this.open(`<form method="dialog" class="confirm" data-testid="confirm">
        <h2>${esc(title)}</h2><p>${esc(message)}</p>
        <div class="buttons"><button type="button" data-cancel>${esc(t('form.cancel'))}</button>
        <button type="submit" class="${danger ? 'danger' : 'primary'}" data-ok>${esc(ok)}</button></div></form>`);
      let answered = false;
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        answered = true;
        this.close();
        resolve(true);
      });
      this.el.addEventListener('close', () => !answered && resolve(false), { once: true });
      form.querySelector<HTMLElement>('[data-ok]')!.focus();
    });
  }
}

/** The sentence `key` with `{u}`, `{name}`, `{n}`… filled in. */
export function fill(key: string, values: Record<string, string | number>): string {
  return Object.entries(values).reduce((s, [k, v]) => s.replaceAll(`{${k}}`, String(v)), t(key));
}
