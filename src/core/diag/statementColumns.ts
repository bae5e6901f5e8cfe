/**
 * pg_stat_statements columns by installed extension version (1.8 … 1.12), mapped to one set of
 * counter names. The installed version — not the server's — decides the columns, so the SELECT list
 * is built from the view's real attributes: where a column was renamed, the first present name wins.
 */

/** Cumulative counters: the ones deltas are taken of. Units: ms for times, blocks, bytes for WAL. */
export const cumulativeCounters = [
  ['calls', ['calls']],
  ['plans', ['plans']],
  ['totalExecMs', ['total_exec_time', 'total_time']],
  ['totalPlanMs', ['total_plan_time']],
  ['rows', ['rows']],
  ['sharedBlksHit', ['shared_blks_hit']],
  ['sharedBlksRead', ['shared_blks_read']],
  ['sharedBlksDirtied', ['shared_blks_dirtied']],
  ['sharedBlksWritten', ['shared_blks_written']],
  ['localBlksHit', ['local_blks_hit']],
  ['localBlksRead', ['local_blks_read']],
  ['localBlksDirtied', ['local_blks_dirtied']],
  ['localBlksWritten', ['local_blks_written']],
  ['tempBlksRead', ['temp_blks_read']],
  ['tempBlksWritten', ['temp_blks_written']],
  ['sharedBlkReadMs', ['shared_blk_read_time', 'blk_read_time']],
  ['sharedBlkWriteMs', ['shared_blk_write_time', 'blk_write_time']],
  ['localBlkReadMs', ['local_blk_read_time']],
  ['localBlkWriteMs', ['local_blk_write_time']],
  ['tempBlkReadMs', ['temp_blk_read_time']],
  ['tempBlkWriteMs', ['temp_blk_write_time']],
  ['walRecords', ['wal_records']],
  ['walFpi', ['wal_fpi']],
  ['walBytes', ['wal_bytes']],
  ['walBuffersFull', ['wal_buffers_full']],
  ['jitFunctions', ['jit_functions']],
  ['jitGenerationMs', ['jit_generation_time']],
  ['jitInliningCount', ['jit_inlining_count']],
  ['jitInliningMs', ['jit_inlining_time']],
  ['jitOptimizationCount', ['jit_optimization_count']],
  ['jitOptimizationMs', ['jit_optimization_time']],
  ['jitEmissionCount', ['jit_emission_count']],
  ['jitEmissionMs', ['jit_emission_time']],
  ['jitDeformCount', ['jit_deform_count']],
  ['jitDeformMs', ['jit_deform_time']],
  ['parallelWorkersToLaunch', ['parallel_workers_to_launch']],
  ['parallelWorkersLaunched', ['parallel_workers_launched']],
] as const satisfies ReadonlyArray<readonly [string, readonly string[]]>;

/** Per-entry extremes and averages since the entry (or its min/max) was reset: shown, never diffed. */
export const gaugeCounters = [
  ['minExecMs', ['min_exec_time', 'min_time']],
  ['maxExecMs', ['max_exec_time', 'max_time']],
  ['meanExecMs', ['mean_exec_time', 'mean_time']],
  ['stddevExecMs', ['stddev_exec_time', 'stddev_time']],
  ['minPlanMs', ['min_plan_time']],
  ['maxPlanMs', ['max_plan_time']],
  ['meanPlanMs', ['mean_plan_time']],
  ['stddevPlanMs', ['stddev_plan_time']],
] as const satisfies ReadonlyArray<readonly [string, readonly string[]]>;

export type CumulativeCounter = (typeof cumulativeCounters)[number][0];
export type GaugeCounter = (typeof gaugeCounters)[number][0];

/** Which real column feeds each counter on this installation (absent counters are left out). */
export interface ColumnMap {
  cumulative: Array<[CumulativeCounter, string]>;
  gauges: Array<[GaugeCounter, string]>;
  toplevel: boolean;
  statsSince: boolean;
  /** The view has `total_exec_time` (1.8+) or only the old `total_time`. */
  execTime: string;
}

export function mapColumns(columns: Iterable<string>): ColumnMap {
  const have = new Set(columns);
  const pick = (names: readonly string[]) => names.find((n) => have.has(n));
  const cumulative: ColumnMap['cumulative'] = [];
  for (const [counter, names] of cumulativeCounters) {
    const col = pick(names);
    if (col) cumulative.push([counter, col]);
  }
  const gauges: ColumnMap['gauges'] = [];
  for (const [counter, names] of gaugeCounters) {
    const col = pick(names);
    if (col) gauges.push([counter, col]);
  }
  const execTime = pick(['total_exec_time', 'total_time']);
  if (!execTime || !have.has('calls') || !have.has('queryid')) {
    throw new Error(`pg_stat_statements has none of the expected columns (found: ${[...have].join(', ')})`);
  }
  return { cumulative, gauges, toplevel: have.has('toplevel'), statsSince: have.has('stats_since'), execTime };
}
