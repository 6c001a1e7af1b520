// The proof that a person is there (contract: GET /api/public/challenge): a
// decimal nonce such that SHA-256(challenge + ":" + nonce) starts with at
// least `difficulty` zero bits. About 2^difficulty tries on average (16 bits:
// some 65,000, well under a second on a phone). The search itself; solver.ts
// runs it in a Web Worker (powWorker.ts) or in slices on the page.

import { leadingZeroBits, sha256Words } from './sha256';

/** Whether `nonce` solves `challenge` at `difficulty` (the server's check). */
export function verifyNonce(challenge: string, nonce: string, difficulty: number): boolean {
  const bytes = new TextEncoder().encode(`${challenge}:${nonce}`);
  return leadingZeroBits(sha256Words(bytes)) >= difficulty;
}

/**
 * Tries nonces `from`, `from + 1`, … for `count` tries; the first that solves
 * it, or null. The prefix is encoded once and the digits written in place.
 */
export function searchRange(challenge: string, difficulty: number, from: number, count: number): string | null {
  const prefix = new TextEncoder().encode(`${challenge}:`);
  const buf = new Uint8Array(prefix.length + 16);
  buf.set(prefix);
  for (let n = from; n < from + count; n++) {
    const digits = String(n);
    for (let i = 0; i < digits.length; i++) buf[prefix.length + i] = digits.charCodeAt(i);
    if (leadingZeroBits(sha256Words(buf, prefix.length + digits.length)) >= difficulty) return digits;
  }
  return null;
}

/** A slice of tries between reports of progress (and, on the page, between frames). */
export const SLICE = 4096;

/** Messages of powWorker.ts. */
export type WorkerAnswer = { tried: number } | { nonce: string; tried: number };

/** Expected tries at a difficulty, for a progress bar that never claims to know exactly. */
export function expectedTries(difficulty: number): number {
  return 2 ** difficulty;
}
