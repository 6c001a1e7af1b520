// Solving a challenge without freezing the page: in a Web Worker when the
// browser has them (powWorker.ts), otherwise on the page a slice of tries at a
// time, yielding between slices so taps and drawing go on.

import { searchRange, SLICE, type WorkerAnswer } from './pow';

export interface SolveOptions {
  /** Called now and then with the number of tries so far. */
  progress?: (tried: number) => void;
  signal?: AbortSignal;
}

/** Finds a nonce: in a worker when the browser has them, otherwise on the page in slices. */
export function solve(challenge: string, difficulty: number, opts: SolveOptions = {}): Promise<string> {
  let worker: Worker | null = null;
  try {
    worker = typeof Worker === 'undefined' ? null : new Worker(new URL('./powWorker.ts', import.meta.url), { type: 'module' });
  } catch {
    worker = null;
  }
  return worker ? inWorker(worker, challenge, difficulty, opts) : inSlices(challenge, difficulty, opts);
}

function inWorker(worker: Worker, challenge: string, difficulty: number, opts: SolveOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      worker.terminate();
      reject(new DOMException('aborted', 'AbortError'));
    };
    opts.signal?.addEventListener('abort', stop, { once: true });
    worker.onmessage = (ev: MessageEvent<WorkerAnswer>) => {
      opts.progress?.(ev.data.tried);
      if ('nonce' in ev.data) {
        opts.signal?.removeEventListener('abort', stop);
        worker.terminate();
        resolve(ev.data.nonce);
      }
    };
    // A worker that cannot start (old browser, blocked module workers): on the page then.
    worker.onerror = (ev) => {
      ev.preventDefault();
      opts.signal?.removeEventListener('abort', stop);
      worker.terminate();
      inSlices(challenge, difficulty, opts).then(resolve, reject);
    };
    worker.postMessage({ challenge, difficulty });
  });
}

/** On the page: a slice of tries per task, yielding between them so taps and drawing go on. */
export async function inSlices(challenge: string, difficulty: number, opts: SolveOptions = {}): Promise<string> {
  for (let from = 0; ; from += SLICE) {
    if (opts.signal?.aborted) throw new DOMException('aborted', 'AbortError');
    const found = searchRange(challenge, difficulty, from, SLICE);
    opts.progress?.(from + SLICE);
    if (found !== null) return found;
    await new Promise((r) => setTimeout(r, 0));
  }
}
