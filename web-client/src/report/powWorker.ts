// The proof-of-work search off the page's thread (see pow.ts): tries nonces
// from 0 up, says how many it tried now and then, and the one that solves it.

import { searchRange, SLICE, type WorkerAnswer } from './pow';

self.onmessage = (ev: MessageEvent<{ challenge: string; difficulty: number }>) => {
  const { challenge, difficulty } = ev.data;
  const say = (m: WorkerAnswer) => self.postMessage(m);
  // 16 slices between reports: a few a second on a phone.
  for (let from = 0; ; from += SLICE) {
    const nonce = searchRange(challenge, difficulty, from, SLICE);
    if (nonce !== null) return say({ nonce, tried: Number(nonce) + 1 });
    if ((from / SLICE) % 16 === 15) say({ tried: from + SLICE });
  }
};
