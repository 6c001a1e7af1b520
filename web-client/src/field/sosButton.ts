// The SOS button's hold: pointer (finger or mouse) and keyboard (Space or
// Enter held) start it, letting go ends it, and the ring and fill follow it
// frame by frame (the CSS variable --p, 0 to 1). Bound once on the card, so
// the button may be redrawn between holds.

import { HoldToFire } from './holdToFire';

export interface HoldHooks {
  /** The hold reached its time: send the SOS. */
  fire: () => void;
  /** The hold started (true) or ended before its time or fired (false): the label follows. */
  holding: (on: boolean) => void;
}

const HOLD_KEYS = new Set([' ', 'Enter']);

export class SosHold {
  readonly hold = new HoldToFire();
  private frame = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly card: HTMLElement,
    private readonly hooks: HoldHooks,
  ) {
    card.addEventListener('pointerdown', (ev) => {
      const b = this.button(ev.target);
      if (!b || b.disabled || (ev.pointerType === 'mouse' && ev.button !== 0)) return;
      // Keep the pointer while the finger drifts a little; no text selection, no scrolling.
      b.setPointerCapture?.(ev.pointerId);
      ev.preventDefault();
      this.start(b);
    });
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture'] as const) card.addEventListener(type, () => this.stop());
    // A long press opens the context menu on some phones.
    card.addEventListener('contextmenu', (ev) => {
      if (this.button(ev.target)) ev.preventDefault();
    });
    card.addEventListener('keydown', (ev) => {
      const b = this.button(ev.target);
      if (!b || !HOLD_KEYS.has(ev.key)) return;
      // A key held repeats keydown: only the first starts the hold. No click either way.
      ev.preventDefault();
      if (!ev.repeat && !b.disabled) this.start(b);
    });
    card.addEventListener('keyup', (ev) => {
      if (HOLD_KEYS.has(ev.key) && this.button(ev.target)) {
        ev.preventDefault();
        this.stop();
      }
    });
    card.addEventListener('focusout', () => this.stop());
  }

  /** How far the current hold has come (for the tests). */
  get progress(): number {
    return this.hold.progress(performance.now());
  }

  private button(target: EventTarget | null): HTMLButtonElement | null {
    return target instanceof Element ? target.closest<HTMLButtonElement>('[data-sos-hold]') : null;
  }

  private start(b: HTMLButtonElement): void {
    if (this.hold.pressed) return;
    this.hold.press(performance.now());
    b.classList.add('holding');
    this.hooks.holding(true);
    const step = () => {
      this.check();
      if (this.hold.holding) this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
    // Frames may stop (a tab in the background); the timer fires it all the same.
    this.timer = setTimeout(() => this.check(), this.hold.holdMs + 20);
  }

  private check(): void {
    const now = performance.now();
    this.paint(this.hold.progress(now));
    if (this.hold.tick(now)) {
      this.clear();
      this.hooks.holding(false);
      this.hooks.fire();
    }
  }

  private stop(): void {
    const wasHolding = this.hold.holding;
    this.hold.release();
    this.clear();
    this.paint(0);
    this.card.querySelector('[data-sos-hold]')?.classList.remove('holding');
    if (wasHolding) this.hooks.holding(false);
  }

  private clear(): void {
    cancelAnimationFrame(this.frame);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private paint(p: number): void {
    const b = this.card.querySelector<HTMLElement>('[data-sos-hold]');
    if (!b) return;
    b.style.setProperty('--p', p.toFixed(3));
    b.dataset.progress = p.toFixed(2);
  }
}
