import type { Queryable } from './queryable';
import type { StatementOrder, StatementsSource, StatementStats } from './statements';
import { allStatementCounters, changedStatementCounters, statementsObject, statementTexts } from './statements';
import type { CumulativeCounter } from './statementColumns';

/** One snapshot of every entry's counters, taken at `at` (ms since epoch). */
export interface StatementSnapshot {
  at: number;
  /** pg_stat_statements_info.stats_reset (1.9+): changes when everything was reset. */
  statsReset: string | null;
  entries: StatementStats[];
}

export interface StatementDelta extends StatementStats {
  /** The entry was reset, evicted and re-added, or is new since the previous snapshot: its counters since then. */
  restarted: boolean;
}

export interface DeltaResult {
  from: number;
  to: number;
  /** Everything was reset between the snapshots (stats_reset changed). */
  fullReset: boolean;
  /** Only entries with calls in the interval, share computed over the interval. */
  entries: StatementDelta[];
}

/**
 * The difference between two snapshots. A counter that went down, a changed `stats_since`, or a
 * changed `stats_reset` means the entry started over: its current values are the activity since,
 * so nothing is ever negative.
 */
export function diffSnapshots(prev: StatementSnapshot, cur: StatementSnapshot): DeltaResult {
  const fullReset = prev.statsReset !== null && cur.statsReset !== null && prev.statsReset !== cur.statsReset;
  const before = new Map(prev.entries.map((e) => [e.key, e]));
  const out: StatementDelta[] = [];
  for (const e of cur.entries) {
    // other roles' entries without pg_read_all_stats have no queryid: no stable key to diff by
    if (e.queryid === null) continue;
    const p = fullReset ? undefined : before.get(e.key);
    const restarted = !p || (e.statsSince !== null && p.statsSince !== e.statsSince) || wentDown(p, e);
    const counters: StatementStats['counters'] = {};
    for (const k of Object.keys(e.counters) as CumulativeCounter[]) {
      counters[k] = restarted ? (e.counters[k] ?? 0) : (e.counters[k] ?? 0) - (p?.counters[k] ?? 0);
    }
    const calls = counters.calls ?? 0;
    if (calls <= 0) continue;
    const totalMs = (counters.totalExecMs ?? 0) + (counters.totalPlanMs ?? 0);
    out.push({
      ...e,
      counters,
      calls,
      totalMs,
      meanMs: totalMs / calls,
      rows: counters.rows ?? 0,
      sharePct: 0,
      restarted,
    });
  }
  const sum = out.reduce((a, e) => a + e.totalMs, 0);
  for (const e of out) e.sharePct = sum > 0 ? (100 * e.totalMs) / sum : 0;
  return { from: prev.at, to: cur.at, fullReset, entries: out };
}

function wentDown(p: StatementStats, e: StatementStats): boolean {
  for (const k of Object.keys(e.counters) as CumulativeCounter[]) {
    if ((e.counters[k] ?? 0) < (p.counters[k] ?? 0)) return true;
  }
  return false;
}

/** The value a StatementOrder ranks by, for deltas ranked on the client. */
export function orderValue(e: StatementStats, order: StatementOrder): number {
  const c = e.counters;
  switch (order) {
    case 'total':
      return e.totalMs;
    case 'mean':
      return e.meanMs;
    case 'calls':
      return e.calls;
    case 'rows':
      return e.rows;
    case 'io':
      return c.sharedBlksRead ?? 0;
    case 'temp':
      return (c.tempBlksRead ?? 0) + (c.tempBlksWritten ?? 0);
    case 'wal':
      return c.walBytes ?? 0;
  }
}

export function rankDeltas(entries: StatementDelta[], order: StatementOrder, limit: number): StatementDelta[] {
  return [...entries]
    .sort((a, b) => orderValue(b, order) - orderValue(a, order) || (a.queryid ?? '').localeCompare(b.queryid ?? ''))
    .slice(0, limit);
}

export interface DeltaPoint {
  at: number;
  seconds: number;
  calls: number;
  totalMs: number;
  rows: number;
}

/**
 * Snapshots of one session: each new one is diffed against the previous, and a bounded series
 * per entry is kept for the detail panel's chart ("the last N minutes" like pg_stat_monitor's buckets).
 */
export class StatementHistory {
  private last?: StatementSnapshot;
  private readonly series = new Map<string, DeltaPoint[]>();

  constructor(private readonly maxPoints = 120) {}

  get previous(): StatementSnapshot | undefined {
    return this.last;
  }

  /** Adds a snapshot; returns the delta since the previous one (undefined for the first). */
  add(snapshot: StatementSnapshot): DeltaResult | undefined {
    const prev = this.last;
    this.last = snapshot;
    if (!prev) return undefined;
    const delta = diffSnapshots(prev, snapshot);
    const seconds = (delta.to - delta.from) / 1000;
    for (const e of delta.entries) {
      const points = this.series.get(e.key) ?? [];
      points.push({ at: delta.to, seconds, calls: e.calls, totalMs: e.totalMs, rows: e.rows });
      if (points.length > this.maxPoints) points.shift();
      this.series.set(e.key, points);
    }
    return delta;
  }

  pointsOf(key: string): DeltaPoint[] {
    return [...(this.series.get(key) ?? [])];
  }

  clear(): void {
    this.last = undefined;
    this.series.clear();
  }
}

/**
 * Reads a snapshot: every entry's counters (without texts) and the global reset time. Given the
 * previous snapshot of the same reset period, only entries whose calls changed come from the
 * server (the others are carried over), which keeps a refresh cheap with thousands of entries.
 */
export async function takeStatementSnapshot(
  client: Queryable,
  source: StatementsSource,
  now: () => number = Date.now,
  prev?: StatementSnapshot,
): Promise<StatementSnapshot> {
  let statsReset: string | null = null;
  if (source.hasInfo) {
    const sql = `SELECT stats_reset::text AS stats_reset FROM ${statementsObject(source, 'pg_stat_statements_info')}`;
    const r = await client.query<{ stats_reset: string | null }>(sql);
    statsReset = r.rows[0]?.stats_reset ?? null;
  }
  if (prev && prev.statsReset === statsReset) {
    const changed = await changedStatementCounters(client, source, prev.entries);
    const byKey = new Map(prev.entries.map((e) => [e.key, e]));
    for (const e of changed) byKey.set(e.key, e);
    return { at: now(), statsReset, entries: [...byKey.values()] };
  }
  return { at: now(), statsReset, entries: await allStatementCounters(client, source) };
}

/**
 * Takes a snapshot into `history` and returns the top entries of the interval since the previous
 * one, with their query texts (fetched for those entries only). Undefined on the first snapshot.
 */
export async function topStatementDeltas(
  client: Queryable,
  source: StatementsSource,
  history: StatementHistory,
  opts: { order?: StatementOrder; limit?: number; now?: () => number } = {},
): Promise<DeltaResult | undefined> {
  const delta = history.add(await takeStatementSnapshot(client, source, opts.now, history.previous));
  if (!delta) return undefined;
  const top = rankDeltas(delta.entries, opts.order ?? 'total', opts.limit ?? 50);
  const texts = await statementTexts(client, source, [
    ...new Set(top.map((e) => e.queryid).filter((q): q is string => q !== null)),
  ]);
  for (const e of top) e.query = texts.get(e.key) ?? null;
  return { ...delta, entries: top };
}
