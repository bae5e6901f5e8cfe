import * as assert from 'node:assert/strict';
import { diffSnapshots, rankDeltas, StatementHistory } from '../../src/core/diag/statementDeltas';
import type { StatementSnapshot } from '../../src/core/diag/statementDeltas';
import { preloadFix } from '../../src/core/diag/statementHealth';
import { mapColumns } from '../../src/core/diag/statementColumns';
import type { StatementStats } from '../../src/core/diag/statements';

const v18 = (
  'userid dbid toplevel queryid query plans total_plan_time min_plan_time max_plan_time ' +
  'mean_plan_time stddev_plan_time calls total_exec_time min_exec_time max_exec_time ' +
  'mean_exec_time stddev_exec_time rows shared_blks_hit shared_blks_read shared_blks_dirtied ' +
  'shared_blks_written local_blks_hit local_blks_read local_blks_dirtied local_blks_written ' +
  'temp_blks_read temp_blks_written shared_blk_read_time shared_blk_write_time ' +
  'local_blk_read_time local_blk_write_time temp_blk_read_time temp_blk_write_time ' +
  'wal_records wal_fpi wal_bytes wal_buffers_full jit_functions jit_generation_time ' +
  'jit_inlining_count jit_inlining_time jit_optimization_count jit_optimization_time ' +
  'jit_emission_count jit_emission_time jit_deform_count jit_deform_time ' +
  'parallel_workers_to_launch parallel_workers_launched stats_since minmax_stats_since'
).split(' ');
const v18Cols = (
  'userid dbid queryid query plans total_plan_time min_plan_time max_plan_time ' +
  'mean_plan_time stddev_plan_time calls total_exec_time min_exec_time max_exec_time ' +
  'mean_exec_time stddev_exec_time rows shared_blks_hit shared_blks_read shared_blks_dirtied ' +
  'shared_blks_written local_blks_hit local_blks_read local_blks_dirtied local_blks_written ' +
  'temp_blks_read temp_blks_written blk_read_time blk_write_time wal_records wal_fpi ' +
  'wal_bytes'
).split(' ');

function entry(key: string, calls: number, totalMs: number, statsSince: string | null = null): StatementStats {
  return {
    key,
    userid: 10,
    dbid: 5,
    queryid: key,
    toplevel: true,
    user: 'u',
    database: 'd',
    query: null,
    calls,
    totalMs,
    meanMs: calls ? totalMs / calls : 0,
    rows: calls,
    sharePct: 0,
    statsSince,
    counters: { calls, totalExecMs: totalMs, totalPlanMs: 0, rows: calls },
    gauges: {},
  };
}

const snap = (at: number, entries: StatementStats[], statsReset: string | null = 'r1'): StatementSnapshot => ({
  at,
  statsReset,
  entries,
});

describe('diag pg_stat_statements columns and deltas', () => {
  it('maps renamed columns: blk_read_time (1.8–1.10) and shared_blk_read_time (1.11+) feed the same counter', () => {
    const old = mapColumns(v18Cols);
    const now = mapColumns(v18);
    assert.deepEqual(
      old.cumulative.find(([k]) => k === 'sharedBlkReadMs'),
      ['sharedBlkReadMs', 'blk_read_time'],
    );
    assert.deepEqual(
      now.cumulative.find(([k]) => k === 'sharedBlkReadMs'),
      ['sharedBlkReadMs', 'shared_blk_read_time'],
    );
    assert.equal(old.toplevel, false);
    assert.equal(now.statsSince, true);
    assert.ok(now.cumulative.some(([k]) => k === 'parallelWorkersLaunched'));
    assert.ok(!old.cumulative.some(([k]) => k === 'jitFunctions'));
    assert.equal(mapColumns(['queryid', 'calls', 'total_time']).execTime, 'total_time');
    assert.throws(() => mapColumns(['a', 'b']), /none of the expected columns/);
  });

  it('takes deltas of counters and leaves out idle entries', () => {
    const d = diffSnapshots(
      snap(0, [entry('a', 10, 100), entry('b', 5, 50)]),
      snap(1000, [entry('a', 15, 160), entry('b', 5, 50), entry('c', 2, 4)]),
    );
    assert.deepEqual(
      d.entries.map((e) => [e.key, e.calls, e.totalMs, e.restarted]),
      [
        ['a', 5, 60, false],
        ['c', 2, 4, true],
      ],
    );
    assert.equal(Math.round(d.entries[0].sharePct), 94);
    assert.deepEqual(
      rankDeltas(d.entries, 'mean', 1).map((e) => e.key),
      ['a'],
    );
  });

  it('never shows negative numbers: a counter going down, a new stats_since or a new stats_reset restart the entry', () => {
    const wentDown = diffSnapshots(snap(0, [entry('a', 10, 100)]), snap(1, [entry('a', 3, 30)]));
    assert.deepEqual(
      wentDown.entries.map((e) => [e.calls, e.totalMs, e.restarted]),
      [[3, 30, true]],
    );
    const evicted = diffSnapshots(snap(0, [entry('a', 10, 100, 't1')]), snap(1, [entry('a', 12, 130, 't2')]));
    assert.deepEqual(
      evicted.entries.map((e) => [e.calls, e.restarted]),
      [[12, true]],
    );
    const reset = diffSnapshots(snap(0, [entry('a', 10, 100)], 'r1'), snap(1, [entry('a', 11, 110)], 'r2'));
    assert.equal(reset.fullReset, true);
    assert.deepEqual(
      reset.entries.map((e) => e.calls),
      [11],
    );
  });

  it('keeps a bounded series per entry for the detail chart', () => {
    const h = new StatementHistory(2);
    assert.equal(h.add(snap(0, [entry('a', 1, 1)])), undefined);
    for (let i = 1; i <= 4; i++) h.add(snap(i * 1000, [entry('a', 1 + i * 2, 1 + i)]));
    assert.deepEqual(
      h.pointsOf('a').map((p) => [p.at, p.calls, p.seconds]),
      [
        [3000, 2, 1],
        [4000, 2, 1],
      ],
    );
  });

  it('writes the exact preload fix, keeping libraries already loaded', () => {
    // one literal per library: ALTER SYSTEM quotes a single 'a,b' as one library named "a,b"
    assert.match(
      preloadFix('auto_explain, pg_stat_statements'),
      /^ALTER SYSTEM SET shared_preload_libraries = 'auto_explain', 'pg_stat_statements';\n/,
    );
    assert.match(
      preloadFix(' "my, lib" , "say ""hi""",plain '),
      /= 'my, lib', 'say "hi"', 'plain', 'pg_stat_statements';/,
    );
    assert.match(preloadFix(''), /= 'pg_stat_statements';/);
    assert.match(preloadFix(null), /not readable by this role/);
    assert.match(preloadFix(''), /CREATE EXTENSION IF NOT EXISTS pg_stat_statements;/);
  });
});
