// The /ws connection: reconnects with backoff, re-sends the current
// subscription after every reconnect, and reports its state for the UI.

import { backoffDelay } from './backoff';
import type { ServerMessage, Subscription } from './types';
import type { SocketLike } from './workerSocket';

export type LiveState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveOptions {
  token: string;
  onMessage: (m: ServerMessage) => void;
  onState?: (s: LiveState, detail: string) => void;
  /**
   * The connection dropped (before reconnecting): the page checks whether its
   * session still stands, since a refused upgrade looks the same as a network
   * failure from here.
   */
  onDrop?: (reason: string) => void;
  /** Where /ws is; defaults to the page's own host. */
  url?: string;
  /** Opens the socket; a WebSocket unless told otherwise (the big screen reads it on a worker: workerSocket.ts). */
  socket?: (url: string) => SocketLike;
}

export function wsUrl(location: { protocol: string; host: string }, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws?token=${encodeURIComponent(token)}`;
}

export class LiveConnection {
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private subscription: Subscription | null = null;
  private stopped = false;
  state: LiveState = 'closed';
  /** Messages received since the page loaded, for the status bar and tests. */
  received = 0;

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000, 'bye');
    this.setState('closed', '');
  }

  /** Replaces the subscription; sent now if connected, else on (re)connect. */
  subscribe(s: Subscription): void {
    this.subscription = s;
    this.send({ type: 'subscribe', ...s });
  }

  /** Sends a message if the socket is open; false if it is not. */
  send(message: object): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  private connect(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting', '');
    const url = this.opts.url ?? wsUrl(window.location, this.opts.token);
    // (a WebSocket is a SocketLike; only its handlers' declared `this` and event types differ)
    const ws = this.opts.socket ? this.opts.socket(url) : (new WebSocket(url) as unknown as SocketLike);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open', '');
      if (this.subscription) this.send({ type: 'subscribe', ...this.subscription });
    };
    ws.onmessage = (ev) => {
      this.received++;
      let m: ServerMessage;
      try {
        m = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      this.opts.onMessage(m);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, Math.random());
      this.setState('reconnecting', ev.reason || `code ${ev.code}`);
      this.opts.onDrop?.(ev.reason);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  private setState(s: LiveState, detail: string): void {
    this.state = s;
    this.opts.onState?.(s, detail);
  }
}
