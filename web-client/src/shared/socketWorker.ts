// The worker side of workerSocket.ts: owns the WebSocket, so that reading it
// never waits for the page's main thread, and passes each message on as it is.

import type { FromWorker, ToWorker } from './workerSocket';

const port = self as unknown as { postMessage(m: FromWorker): void; onmessage: ((e: MessageEvent<ToWorker>) => void) | null };
let ws: WebSocket | null = null;

port.onmessage = (e) => {
  const m = e.data;
  if ('open' in m) {
    ws = new WebSocket(m.open);
    ws.onopen = () => port.postMessage({ open: true });
    ws.onmessage = (ev) => port.postMessage({ data: String(ev.data) });
    ws.onclose = (ev) => port.postMessage({ close: { code: ev.code, reason: ev.reason } });
  } else if ('send' in m) {
    if (ws?.readyState === WebSocket.OPEN) ws.send(m.send);
  } else {
    ws?.close(...m.close);
  }
};
