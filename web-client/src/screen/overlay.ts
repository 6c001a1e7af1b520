// The panels laid over the map: one element each, classed `overlay <kind>`
// (screen.css places it) and named by its kind for the browser tests.

export function overlay(parent: HTMLElement, kind: string, hidden: boolean, tag: 'div' | 'section' = 'div'): HTMLElement {
  const el = document.createElement(tag);
  el.className = `overlay ${kind}`;
  el.dataset.testid = kind;
  el.hidden = hidden;
  parent.appendChild(el);
  return el;
}
