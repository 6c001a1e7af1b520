// Reconnect delays: exponential with full jitter, capped, so a restarted server
// is not hit by every big screen and phone in the same second.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 15_000 };

/** The delay before reconnect attempt `attempt` (0-based); `random` in [0, 1). */
export function backoffDelay(attempt: number, random: number, policy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 16));
  // Never less than half the ceiling: full jitter down to 0 would retry at once.
  return Math.round(ceiling / 2 + (random * ceiling) / 2);
}
