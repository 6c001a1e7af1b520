// 警报声 — the big screen's audible alarm: short two-tone beeps made by a Web
// Audio oscillator (no sound file), repeated while any SOS is open. Browsers
// let a page make sound only after a user gesture on it (the login is one; a
// resumed session has none until the first click): `audible` says whether
// the sound is really playing, and `unlock()` is called on the next gesture.

/** One burst of beeps every this often. */
export const BEEP_PERIOD_MS = 1500;

/** The tones of one burst (Hz), each TONE_S long, TONE_GAP_S apart. */
const TONES = [988, 740, 988];
const TONE_S = 0.16;
const TONE_GAP_S = 0.2;

export type AudioFactory = () => AudioContext | null;

export class Alarm {
  /** Whether the alarm is on (an alert is open), sound or not. */
  sounding = false;
  /** Bursts played since the page opened, for the tests. */
  beeps = 0;
  /** Called when `sounding` or `audible` changes. */
  onChange: () => void = () => {};
  private ctx: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly audio: AudioFactory = browserAudio) {}

  /** Whether sound comes out (the browser allows it), while sounding. */
  get audible(): boolean {
    return this.ctx?.state === 'running';
  }

  set(on: boolean): void {
    if (on === this.sounding) return;
    this.sounding = on;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (on) {
      this.burst();
      this.timer = setInterval(() => this.burst(), BEEP_PERIOD_MS);
    }
    this.onChange();
  }

  /** After a user gesture: the browser lets the page make sound from now on. */
  unlock(): void {
    const ctx = this.context();
    if (ctx && ctx.state !== 'running') ctx.resume().catch(() => undefined);
  }

  private context(): AudioContext | null {
    if (!this.ctx) {
      try {
        this.ctx = this.audio();
      } catch {
        this.ctx = null;
      }
      if (this.ctx) this.ctx.onstatechange = () => this.onChange();
    }
    return this.ctx;
  }

  private burst(): void {
    this.beeps++;
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state === 'suspended') ctx.resume().catch(() => undefined);
    const t0 = ctx.currentTime + 0.02;
    TONES.forEach((f, i) => tone(ctx, f, t0 + i * TONE_GAP_S));
  }
}

/** One square-wave tone with a quick attack and release (no click). */
function tone(ctx: AudioContext, freq: number, at: number): void {
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.type = 'square';
  osc.frequency.value = freq;
  gain.gain.setValueAtTime(0.0001, at);
  gain.gain.exponentialRampToValueAtTime(0.2, at + 0.015);
  gain.gain.exponentialRampToValueAtTime(0.0001, at + TONE_S);
  osc.connect(gain).connect(ctx.destination);
  osc.start(at);
  osc.stop(at + TONE_S + 0.02);
}

function browserAudio(): AudioContext | null {
  const C = typeof window === 'undefined' ? undefined : (window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext);
  return C ? new C() : null;
}
