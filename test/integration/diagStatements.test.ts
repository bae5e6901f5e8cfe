import * as assert from 'node:assert/strict';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import { StatementHistory, takeStatementSnapshot, topStatementDeltas } from '../../src/core/diag/statementDeltas';
import { statementHealth } from '../../src/core/diag/statementHealth';
import { loadQueryStats } from '../../src/core/diag/queryStatsLoad';
import {
  canResetStatements,
  explainGenericPlan,
  probeStatements,
  requireStatements,
  resetStatements,
  topStatements,
} from '../../src/core/diag/statements';
import { forEachServer } from '../support/servers';
import { freshDatabase, pgbench } from './diagSupport';

forEachServer('diag pg_stat_statements', (srv, major) => {
  let session: Client;
  let load: Client;

  before(async () => {
    load = await freshDatabase(srv(), 'diag_stats');
    session = await openTargetSession(srv().target());
    await resetStatements(session, await requireStatements(session));
    await pgbench(srv(), 'diag_stats', ['-i', '-s', '1', '-q']);
    await pgbench(srv(), 'diag_stats', ['-S', '-c', '2', '-T', '2', '-n']);
    for (let i = 0; i < 3; i++) await load.query('SELECT sum(g) AS heavy_marker FROM generate_series(1, 3000000) g');
  });

  after(async () => {
    await session?.end();
    await load?.end();
  });

  it('detects the installed extension version and picks its real columns', async () => {
    const p = await probeStatements(session);
    assert.equal(p.state, 'ready');
    if (p.state !== 'ready') return;
    const counters = p.source.columns.cumulative.map(([k]) => k);
    // the newest extension version each server ships, which CREATE EXTENSION installs
    const shipped: Record<number, string> = { 13: '1.8', 14: '1.9', 15: '1.10', 16: '1.10', 17: '1.11', 18: '1.12' };
    assert.equal(p.source.extVersion, shipped[major]);
    assert.equal(
      counters.includes('jitFunctions') && counters.includes('tempBlkReadMs'),
      major >= 15,
      '1.10+: JIT and temp I/O time',
    );
    assert.equal(counters.includes('walBuffersFull'), major >= 18);
    assert.equal(p.source.columns.statsSince, major >= 17);
    assert.equal(p.source.columns.toplevel, major >= 14);
  });

  it("ranks the heaviest statement first by total time, and pgbench's SELECT first by calls", async () => {
    const source = await requireStatements(session);
    const byTotal = await topStatements(session, source, { order: 'total', limit: 5 });
    assert.match(byTotal[0].query ?? '', /heavy_marker/);
    assert.equal(byTotal[0].calls, 3);
    assert.ok(byTotal[0].sharePct > 20 && byTotal[0].sharePct <= 100);
    assert.ok(
      byTotal.every((s, i) => i === 0 || byTotal[i - 1].totalMs >= s.totalMs),
      'ordered by total time on the server',
    );
    const byCalls = await topStatements(session, source, { order: 'calls', limit: 3 });
    assert.match(byCalls[0].query ?? '', /SELECT abalance FROM pgbench_accounts WHERE aid = \$1/);
    assert.ok(byCalls[0].calls > 100);
    const byMean = await topStatements(session, source, { order: 'mean', limit: 1 });
    assert.equal(byMean.length, 1);
    assert.ok(byMean[0].meanMs >= byTotal[0].meanMs - 1e-6);
  });

  it('counts a burst in the delta between two snapshots, and never shows a reset as negative', async () => {
    const source = await requireStatements(session);
    const history = new StatementHistory();
    assert.equal(await topStatementDeltas(session, source, history), undefined, 'the first snapshot has no delta');
    for (let i = 0; i < 40; i++) await load.query('SELECT $1::int AS burst_marker', [i]);
    const delta = await topStatementDeltas(session, source, history, { order: 'calls', limit: 10 });
    const burst = delta?.entries.find((e) => /burst_marker/.test(e.query ?? ''));
    assert.ok(burst, `burst in the delta: ${JSON.stringify(delta?.entries.map((e) => [e.query, e.calls]))}`);
    assert.equal(burst.calls, 40);
    assert.ok(
      !delta?.entries.some((e) => /heavy_marker/.test(e.query ?? '')),
      'statements idle in the interval are not in the delta',
    );

    await resetStatements(session, source);
    for (let i = 0; i < 7; i++) await load.query('SELECT $1::int AS burst_marker', [i]);
    const after = await topStatementDeltas(session, source, history, { order: 'calls', limit: 50 });
    assert.ok(after);
    assert.equal(after.entries.find((e) => /burst_marker/.test(e.query ?? ''))?.calls, 7);
    for (const e of after.entries) {
      for (const [k, v] of Object.entries(e.counters)) assert.ok(v >= 0, `${k} of ${e.query} is ${v}`);
    }
    // pg_stat_statements_info (1.9, PostgreSQL 14) says when everything was reset; 1.8 cannot tell
    assert.equal(after.fullReset, major >= 14, 'pg_stat_statements_info.stats_reset changed');
    assert.ok(history.pointsOf(burst.key).length >= 1);
  });

  it('keeps a snapshot without query texts and with every entry', async () => {
    const source = await requireStatements(session);
    const snap = await takeStatementSnapshot(session, source);
    assert.ok(snap.entries.length > 1);
    assert.ok(snap.entries.every((e) => e.query === null));
    if (major >= 14) assert.ok(snap.statsReset);
    else assert.equal(snap.statsReset, null, 'no pg_stat_statements_info before 1.9');
  });

  it('gives health notes for a preloaded extension: track setting and entry count', async () => {
    const notes = await statementHealth(session, await probeStatements(session));
    assert.ok(notes.some((n) => n.code === 'pgss-track' && /all/.test(n.message)));
    assert.ok(notes.some((n) => n.code === 'pgss-entries'));
    assert.ok(!notes.some((n) => n.level === 'error'), JSON.stringify(notes));
  });

  it('says the extension is not created in a database without it, with the exact statement', async () => {
    const c = await openTargetSession(srv().target({ database: 'diag_stats' }));
    try {
      const p = await probeStatements(c);
      assert.equal(p.state, 'not-created');
      const notes = await statementHealth(c, p);
      assert.equal(notes[0].code, 'pgss-not-created');
      assert.equal(notes[0].fix, 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;');
      await assert.rejects(requireStatements(c), /not created in this database/);
    } finally {
      await c.end();
    }
  });

  it('works with every older extension version the server can install (1.8 and up)', async () => {
    const db = await freshDatabase(srv(), 'diag_pgss_versions');
    try {
      await db.query("CREATE EXTENSION pg_stat_statements VERSION '1.8'");
      const versions = (
        await db.query<{ version: string }>(
          "SELECT version FROM pg_available_extension_versions WHERE name = 'pg_stat_statements' AND " +
            "string_to_array(version, '.')::int[] >= '{1,8}' ORDER BY string_to_array(version, '.')::int[]",
        )
      ).rows.map((r) => r.version);
      // 1.8 on 13, up to 1.12 on 18
      assert.equal(versions.length, { 13: 1, 14: 2, 15: 3, 16: 3, 17: 4, 18: 5 }[major], versions.join());
      const c = await openTargetSession(srv().target({ database: 'diag_pgss_versions' }));
      try {
        for (const v of versions) {
          await db.query(`ALTER EXTENSION pg_stat_statements UPDATE TO '${v}'`);
          const source = await requireStatements(c);
          assert.equal(source.extVersion, v);
          const top = await topStatements(c, source, { order: 'wal', limit: 3 });
          assert.ok(top.length > 0, `rows with extension ${v}`);
          assert.equal(source.columns.toplevel, v !== '1.8');
          const snap = await takeStatementSnapshot(c, source);
          assert.equal(snap.statsReset === null, v === '1.8');
        }
      } finally {
        await c.end();
      }
    } finally {
      await db.end();
    }
  });

  it('knows who may reset, and explains a generic plan on 16+', async () => {
    const source = await requireStatements(session);
    assert.equal((await canResetStatements(session, source)).allowed, true);
    if (major >= 16) {
      const plan = await explainGenericPlan(session, major * 10000, 'SELECT * FROM pg_class WHERE oid = $1');
      assert.match(plan, /Index Scan|Seq Scan/);
    } else {
      await assert.rejects(explainGenericPlan(session, major * 10000, 'SELECT 1'), /needs PostgreSQL 16/);
    }
  });

  it('loads what the Query Stats view shows, cumulative and then as deltas', async () => {
    const history = new StatementHistory();
    const cumulative = await loadQueryStats(session, { mode: 'cumulative', order: 'calls', limit: 5, history });
    assert.equal(cumulative.probe.state, 'ready');
    assert.equal(cumulative.statements.length, 5);
    assert.equal(cumulative.canReset, true);
    assert.ok(cumulative.notes.length > 0);
    const first = await loadQueryStats(session, { mode: 'delta', order: 'calls', limit: 5, history });
    assert.equal(first.interval, undefined);
    for (let i = 0; i < 12; i++)
      await load.query('SELECT count(*) AS view_marker FROM pg_class WHERE relpages > $1', [i]);
    const second = await loadQueryStats(session, { mode: 'delta', order: 'calls', limit: 5, history });
    assert.ok(second.interval && second.interval.to >= second.interval.from);
    assert.equal(
      second.statements.find((e) => /view_marker/.test(e.query ?? ''))?.calls,
      12,
      JSON.stringify(second.statements.map((e) => [e.query?.slice(0, 40), e.calls])),
    );
  });
});
