// 相机扫码 inside the field page: the back camera (getUserMedia) read a few
// times a second by the browser's BarcodeDetector, QR codes only. Optional:
// a browser without BarcodeDetector (Firefox, desktop Linux …), a page over
// plain http (no camera API) or a refused permission leaves the text box,
// and the phone's own camera app opens the printed link anyway.

import { parseVenueCode } from './venueCode';

interface DetectedBarcode {
  rawValue: string;
}

interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}

interface BarcodeDetectorCtor {
  new (options: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats?: () => Promise<string[]>;
}

/** The browser's BarcodeDetector, if it has one (not in TypeScript's DOM library yet). */
function detectorCtor(): BarcodeDetectorCtor | null {
  const c = (globalThis as { BarcodeDetector?: unknown }).BarcodeDetector;
  return typeof c === 'function' ? (c as BarcodeDetectorCtor) : null;
}

/** Whether the page can scan by itself: a detector and a camera API (a secure page). */
export function scannerSupported(): boolean {
  return detectorCtor() !== null && typeof navigator !== 'undefined' && typeof navigator.mediaDevices?.getUserMedia === 'function';
}

/** Why scanning stopped without a code. */
export type ScanFailure = 'unsupported' | 'denied' | 'failed';

export interface ScannerHooks {
  /** A venue code was read: scanning has stopped. */
  found: (code: string) => void;
  /** A QR code that is not a venue code: scanning goes on. */
  foreign: () => void;
  /** The camera could not be used. */
  failed: (why: ScanFailure) => void;
  /** Started or stopped (the button's label follows). */
  changed: () => void;
}

const EVERY_MS = 250;

export class VenueScanner {
  private stream: MediaStream | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Bumped by every start and stop: a camera granted after stop() is closed at once. */
  private run = 0;
  running = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly hooks: ScannerHooks,
  ) {}

  async start(): Promise<void> {
    if (this.running) return;
    const Ctor = detectorCtor();
    if (!Ctor || !scannerSupported()) return this.hooks.failed('unsupported');
    const run = ++this.run;
    try {
      const formats = Ctor.getSupportedFormats ? await Ctor.getSupportedFormats() : ['qr_code'];
      if (!formats.includes('qr_code')) return this.hooks.failed('unsupported');
    } catch {
      // the list could not be read: try anyway
    }
    let detector: BarcodeDetectorLike;
    let stream: MediaStream;
    try {
      detector = new Ctor({ formats: ['qr_code'] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: 'environment' } }, audio: false });
    } catch (e) {
      const name = e instanceof DOMException ? e.name : '';
      return this.hooks.failed(name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : name === 'NotSupportedError' ? 'unsupported' : 'failed');
    }
    if (run !== this.run) {
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    this.video.muted = true;
    this.video.setAttribute('playsinline', '');
    this.video.srcObject = stream;
    await this.video.play().catch(() => undefined);
    this.running = true;
    this.hooks.changed();
    this.look(detector, run);
  }

  private look(detector: BarcodeDetectorLike, run: number): void {
    this.timer = setTimeout(async () => {
      if (run !== this.run) return;
      try {
        if (this.video.readyState >= 2) {
          const seen = await detector.detect(this.video);
          if (run !== this.run) return;
          for (const b of seen) {
            const parsed = parseVenueCode(b.rawValue);
            if ('code' in parsed) {
              this.stop();
              this.hooks.found(parsed.code);
              return;
            }
          }
          if (seen.length) this.hooks.foreign();
        }
      } catch {
        // a frame the detector could not read: the next one
      }
      this.look(detector, run);
    }, EVERY_MS);
  }

  stop(): void {
    this.run++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.video.srcObject = null;
    const was = this.running;
    this.running = false;
    if (was) this.hooks.changed();
  }
}
