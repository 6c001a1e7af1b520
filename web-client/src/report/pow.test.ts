import { describe, expect, it } from 'vitest';
import { searchRange, verifyNonce } from './pow';
import { usableUntil } from './proof';
import { sha256Hex } from './sha256';
import { inSlices } from './solver';

describe('proof of work', () => {
  it('finds a nonce that verifies at difficulty 8, and it is the first one', () => {
    const challenge = 'c2FtcGxlLWNoYWxsZW5nZQ.1767225600000';
    const nonce = searchRange(challenge, 8, 0, 100_000);
    expect(nonce).not.toBeNull();
    expect(nonce).toMatch(/^\d+$/);
    expect(verifyNonce(challenge, nonce!, 8)).toBe(true);
    // Checked independently: the hex digest starts with two zero nibbles.
    expect(sha256Hex(`${challenge}:${nonce}`).startsWith('00')).toBe(true);
    for (let n = 0; n < Number(nonce); n++) expect(verifyNonce(challenge, String(n), 8)).toBe(false);
  });

  it('solves in slices on the page, with progress, as the worker would', async () => {
    const seen: number[] = [];
    const nonce = await inSlices('another challenge', 12, { progress: (t) => seen.push(t) });
    expect(verifyNonce('another challenge', nonce, 12)).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('stops when aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(inSlices('x', 30, { signal: abort.signal })).rejects.toThrow('aborted');
  });

  it('refuses a wrong nonce', () => {
    const challenge = 'abc';
    const nonce = searchRange(challenge, 8, 0, 100_000)!;
    expect(verifyNonce(challenge, `${nonce}0`, 8) && verifyNonce(challenge, `${nonce}1`, 8)).toBe(false);
  });

  it('keeps a challenge for its lifetime on the phone clock, less a margin', () => {
    const t = 1_000_000;
    expect(usableUntil(t, t + 600_000)).toBe(t + 600_000 - 90_000);
    expect(usableUntil(t, t + 300_000)).toBe(t + 300_000 - 90_000);
    // A phone clock far off: the server's expiry says nothing, ten minutes it is.
    expect(usableUntil(t, t - 5_000_000)).toBe(t + 600_000 - 90_000);
    expect(usableUntil(t, t + 50_000_000)).toBe(t + 600_000 - 90_000);
  });
});
