// Press and hold to fire: the SOS goes only after the button has been held
// for the whole time, so a press in a pocket or a tap by mistake does
// nothing. Pure (the clock is passed in); sosButton.ts binds it to the
// pointer, the keyboard and the progress ring.

/** How long the SOS button must be held. */
export const HOLD_MS = 2000;

export class HoldToFire {
  private startedAt: number | null = null;
  private done = false;

  constructor(readonly holdMs = HOLD_MS) {}

  /** Whether a hold is under way (pressed, not yet released or fired). */
  get holding(): boolean {
    return this.startedAt !== null && !this.done;
  }

  /** Whether pressed (holding, or fired and not yet let go). */
  get pressed(): boolean {
    return this.startedAt !== null;
  }

  /** A press starts a hold; a second press while holding (another finger, key repeat) changes nothing. */
  press(now: number): void {
    if (this.startedAt !== null) return;
    this.startedAt = now;
    this.done = false;
  }

  /** Letting go ends the hold: before the time, nothing fires. */
  release(): void {
    this.startedAt = null;
    this.done = false;
  }

  /** How far the hold has come, 0 to 1 (0 when not pressed). */
  progress(now: number): number {
    if (this.startedAt === null) return 0;
    if (this.done) return 1;
    return Math.min(1, Math.max(0, (now - this.startedAt) / this.holdMs));
  }

  /**
   * Called on every frame (and by a timer, should frames stop): true exactly
   * once, when the hold reaches its time. Firing again needs a new press.
   */
  tick(now: number): boolean {
    if (this.startedAt === null || this.done) return false;
    if (now - this.startedAt < this.holdMs) return false;
    this.done = true;
    return true;
  }
}
