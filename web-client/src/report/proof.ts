// The report's proof of work, got ready in the background as soon as the form
// opens, so that sending is usually instant. One solved challenge covers one
// report and its photos for ten minutes; it is dropped after any failed send
// (the server may have spent it) and a fresh one is solved.

import { expectedTries } from './pow';
import { publicApi } from './publicApi';
import { solve } from './solver';

export interface Proof {
  challenge: string;
  nonce: string;
}

/** How long a challenge lasts (the contract's "10 minutes"), less a margin for the send itself. */
const LIFETIME_MS = 10 * 60_000;
const MARGIN_MS = 90_000;

/**
 * Until when a challenge may be used, on this phone's clock: the server's
 * `expires_ms` is on its own clock, so it only ever shortens the lifetime, and
 * a phone whose clock is off (an expiry already past) falls back to ten minutes.
 */
export function usableUntil(fetchedAt: number, expiresMs: number): number {
  const left = expiresMs - fetchedAt;
  const life = left > 0 && left < LIFETIME_MS ? left : LIFETIME_MS;
  return fetchedAt + life - MARGIN_MS;
}

export class ProofBox {
  private pending: Promise<Proof> | null = null;
  private until = 0;
  private abort: AbortController | null = null;
  /** The share of the expected work done (0–1, capped: luck decides the end). */
  progress = 0;
  /** Told of progress while a solve runs. */
  onProgress: (fraction: number) => void = () => {};

  /** Starts getting a proof now, if none is ready or on the way; failures wait for `get`. */
  prepare(): void {
    if (this.pending && Date.now() < this.until) return;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.until = Number.POSITIVE_INFINITY;
    this.progress = 0;
    const p: Promise<Proof> = this.fresh(abort.signal).then(({ proof, until }) => {
      if (this.pending === p) this.until = until;
      return proof;
    });
    this.pending = p;
    p.catch(() => {
      if (this.pending === p) this.discard();
    });
  }

  /** A usable proof: the one prepared, or a new one. */
  get(): Promise<Proof> {
    this.prepare();
    return this.pending!;
  }

  /** Forgets the proof (used, or maybe spent by a failed send), stopping a search under way. */
  discard(): void {
    this.abort?.abort();
    this.abort = null;
    this.pending = null;
    this.until = 0;
  }

  private async fresh(signal: AbortSignal): Promise<{ proof: Proof; until: number }> {
    const fetchedAt = Date.now();
    const c = await publicApi.challenge();
    const report = (f: number) => {
      if (signal.aborted) return;
      this.progress = f;
      this.onProgress(f);
    };
    const nonce = await solve(c.challenge, c.difficulty, {
      signal,
      progress: (tried) => report(Math.min(0.99, tried / expectedTries(c.difficulty))),
    });
    report(1);
    return { proof: { challenge: c.challenge, nonce }, until: usableUntil(fetchedAt, c.expires_ms) };
  }
}
