// A WebSocket read on a worker thread, for the big screen.
//
// Chromium reads a page's WebSocket on the page's main thread. The big
// screen's main thread is often busy for a few hundred milliseconds at a time
// (a repaint, where WebGL runs on the CPU, waits that long for the GPU
// process), and a city's snapshot is tens of megabytes: read that slowly, the
// server's queue for the connection fills behind it (16 messages: 1.6 s of
// moves) and the server sends a whole snapshot again, read as slowly — a loop
// measured at a 22 MB snapshot every 2–3 s at 100,000 staff. A worker reads
// the socket as fast as it comes and hands each message over as it is (one
// string copy); the page parses it when it gets to it, in order.

/** What LiveConnection needs of a socket (a WebSocket is one). */
export interface SocketLike {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** Between the page and socketWorker.ts. */
export type ToWorker = { open: string } | { send: string } | { close: [number | undefined, string | undefined] };
export type FromWorker = { open: true } | { data: string } | { close: { code: number; reason: string } };

export class WorkerSocket implements SocketLike {
  readyState: number = WebSocket.CONNECTING;
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  private readonly worker = new Worker(new URL('./socketWorker.ts', import.meta.url), { type: 'module' });

  constructor(url: string) {
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if ('open' in m) {
        this.readyState = WebSocket.OPEN;
        this.onopen?.();
      } else if ('data' in m) {
        this.onmessage?.({ data: m.data });
      } else {
        this.readyState = WebSocket.CLOSED;
        this.worker.terminate();
        this.onclose?.(m.close);
      }
    };
    // A worker that cannot start (its script refused): a dropped connection, so the page reconnects.
    this.worker.onerror = () => {
      if (this.readyState === WebSocket.CLOSED) return;
      this.readyState = WebSocket.CLOSED;
      this.worker.terminate();
      this.onclose?.({ code: 1006, reason: 'socket worker failed' });
    };
    this.post({ open: url });
  }

  send(data: string): void {
    this.post({ send: data });
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === WebSocket.OPEN || this.readyState === WebSocket.CONNECTING) this.readyState = WebSocket.CLOSING;
    this.post({ close: [code, reason] });
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }
}
