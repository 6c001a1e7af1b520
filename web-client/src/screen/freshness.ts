// 在线/离线 — whether a staff member's last fix still says where they are.
// The server decides it for dispatch (`stale_after_s`, docs/protocol.md); the
// big screen must draw the same line, so it measures ages on the server's
// clock: a command-centre PC whose clock is a few minutes off would otherwise
// show fresh staff as offline, or the reverse.

/** The server's default `--stale-after-s`, for servers whose hello does not say. */
export const DEFAULT_STALE_AFTER_S = 600;

/** The server's time as this browser can tell it: the local clock plus the offset hello showed. */
export class ServerClock {
  private offsetMs = 0;

  constructor(private readonly localNow: () => number = Date.now) {}

  /**
   * Takes the server's time from a message that just arrived (hello). The
   * transit time is left in: a fraction of a second against a line drawn at
   * minutes.
   */
  sync(serverTime: number): void {
    if (Number.isFinite(serverTime)) this.offsetMs = serverTime - this.localNow();
  }

  now(): number {
    return this.localNow() + this.offsetMs;
  }
}

/** Offline: the last fix (`t`, epoch ms) is older than the limit, as the server's dispatch counts it. */
export function isOffline(t: number, serverNow: number, staleAfterMs: number): boolean {
  return serverNow - t > staleAfterMs;
}
