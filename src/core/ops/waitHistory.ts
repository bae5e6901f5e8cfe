import type { ActivitySession } from './activity';
import { groupKey } from './activity';

/** Active sessions by wait-event type at one refresh of the activity list (CPU: active, waiting for nothing). */
export interface WaitHistoryPoint {
  /** When the list was read, ms since the epoch (the server's clock). */
  at: number;
  counts: Record<string, number>;
}

/**
 * The active sessions of one activity list counted by wait-event type, the reading session left out. Idle
 * sessions and those idle in a transaction do no work and are not counted.
 */
export function activeByWaitType(sessions: readonly ActivitySession[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of sessions) {
    if (s.isOwn || s.state !== 'active') continue;
    const key = groupKey(s, 'wait');
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * What the Activity panel charts: a point per refresh of the activity list, kept for the last `windowMs`. It
 * lives with its connection, so the chart survives the view being hidden and ends when the connection does.
 */
export class WaitHistory {
  private readonly list: WaitHistoryPoint[] = [];

  constructor(readonly windowMs = 10 * 60_000) {}

  /** Adds the point of one list read at `at`; a point older than the newest (a clock step back) replaces the history. */
  add(at: number, sessions: readonly ActivitySession[]): WaitHistoryPoint {
    const point = { at, counts: activeByWaitType(sessions) };
    const last = this.list.at(-1);
    if (last && at < last.at) this.list.length = 0;
    this.list.push(point);
    const from = at - this.windowMs;
    let drop = 0;
    while (drop < this.list.length && this.list[drop].at < from) drop++;
    if (drop) this.list.splice(0, drop);
    return point;
  }

  points(): WaitHistoryPoint[] {
    return [...this.list];
  }

  /** Every wait type seen in the window, the most frequent first (a stable colour order for the chart). */
  types(): string[] {
    const total = new Map<string, number>();
    for (const p of this.list) for (const [k, n] of Object.entries(p.counts)) total.set(k, (total.get(k) ?? 0) + n);
    return [...total].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
  }
}
