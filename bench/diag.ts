/**
 * bench:diag — what a refresh of each diagnostic view costs on a server with 5,000 distinct
 * statements and 2,000 tables, next to the bare SQL it is built on. One dedicated PostgreSQL 18
 * server (started and stopped here); each view's load and its bare statement run alternately,
 * 7 rounds after one warm-up, medians printed. A benchmark, not a test: it asserts nothing.
 */
import type { Client } from 'pg';
import { openTargetSession } from '../src/core/conn/open';
import { bloatSql, estimateBloat } from '../src/core/diag/bloat';
import { loadQueryStats } from '../src/core/diag/queryStatsLoad';
import { replicationOverview, slotsSql, standbysSql } from '../src/core/diag/replication';
import { StatementHistory } from '../src/core/diag/statementDeltas';
import { requireStatements, statementsSql } from '../src/core/diag/statements';
import { embeddedBinaries } from '../src/core/sandbox/binaries';
import { quoteIdent } from '../src/core/sql';
import { repoRoot, startTestServer } from '../test/support/servers';
import { median, time } from './timing';

const tables = 2000;
const statements = 5000;
const rounds = 7;

async function setup(admin: Client): Promise<void> {
  process.stderr.write(`creating ${tables} tables…\n`);
  await admin.query(`DO $$ BEGIN FOR i IN 1..${tables} LOOP
    EXECUTE format('CREATE TABLE bt_%s (id int PRIMARY KEY, v text)', i);
    EXECUTE format('INSERT INTO bt_%s SELECT g, md5(g::text) FROM generate_series(1, 50) g', i);
  END LOOP; END $$`);
  await admin.query('ANALYZE');
  process.stderr.write(`running ${statements} distinct statements…\n`);
  // Each table name makes a distinct statement; nested in plpgsql, counted because track = all.
  await admin.query(`DO $$ DECLARE n int; BEGIN FOR i IN 1..${tables} LOOP
    EXECUTE format('SELECT count(*) FROM bt_%s WHERE id > 10', i) INTO n;
    EXECUTE format('SELECT v FROM bt_%s WHERE id = 3', i);
    IF i <= ${statements - 2 * tables} THEN EXECUTE format('UPDATE bt_%s SET v = v WHERE id = 1', i); END IF;
  END LOOP; END $$`);
  await admin.query("SELECT pg_create_logical_replication_slot('bench_logical', 'test_decoding')");
  await admin.query("SELECT pg_create_physical_replication_slot('bench_physical', true)");
}

async function main(): Promise<void> {
  const server = await startTestServer(embeddedBinaries(repoRoot), { settings: { 'pg_stat_statements.max': '10000' } });
  const session = await openTargetSession(server.target(), {
    applicationName: 'pgops bench',
    statementTimeoutMs: 60_000,
    lockTimeoutMs: 1000,
    readOnly: true,
  });
  try {
    const admin = await server.admin();
    await setup(admin);
    await admin.end();
    const source = await requireStatements(session);
    const entries = (
      await session.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${quoteIdent(source.schema)}.pg_stat_statements(false)`,
      )
    ).rows[0].n;
    const relations = (
      await session.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_class WHERE relkind IN ('r', 'i') AND relnamespace = 'public'::regnamespace",
      )
    ).rows[0].n;
    const version = Number(
      (await session.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v,
    );
    const history = new StatementHistory();
    const cases: Array<{ name: string; view: () => Promise<unknown>; bare: () => Promise<unknown>; bareWhat: string }> =
      [
        {
          name: 'Query Stats (cumulative, top 50 by total)',
          view: () => loadQueryStats(session, { mode: 'cumulative', order: 'total', limit: 50, history }),
          bare: () => session.query(statementsSql(source, { order: 'total', limit: 50 })),
          bareWhat: 'the top-50 SELECT alone',
        },
        {
          name: 'Query Stats (now: snapshot of all + texts of top 50)',
          view: () => loadQueryStats(session, { mode: 'delta', order: 'total', limit: 50, history }),
          bare: () => session.query(statementsSql(source, { order: 'total', limit: 50 })),
          bareWhat: 'the top-50 SELECT alone',
        },
        {
          name: 'Replication',
          view: () => replicationOverview(session, version),
          bare: async () => {
            await session.query(slotsSql(version));
            await session.query(standbysSql);
          },
          bareWhat: 'slots + pg_stat_replication SELECTs',
        },
        {
          name: 'Bloat (top 50 of all tables and btree indexes)',
          view: () => estimateBloat(session, 50),
          bare: () => session.query(bloatSql, [50, null]),
          bareWhat: 'the estimate SELECT alone',
        },
      ];
    const results: string[] = [];
    for (const c of cases) {
      await c.view();
      await c.bare();
      const v: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        v.push(await time(c.view));
        b.push(await time(c.bare));
      }
      results.push(
        `| ${c.name} | ${median(v).toFixed(0)} ms | ${median(b).toFixed(0)} ms (${c.bareWhat}) | ` +
          `${(median(v) / median(b)).toFixed(2)} | ${v.map((x) => x.toFixed(0)).join(' ')} |`,
      );
    }
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    process.stdout.write(
      [
        `bench:diag on PostgreSQL ${Math.floor(version / 10000)}: ${entries} pg_stat_statements ` +
          `entries, ${relations} tables and indexes in public, ${rounds} rounds (medians), ${stamp} UTC`,
        '',
        '| view refresh | view median | bare SQL median | ratio | view runs (ms) |',
        '|---|---|---|---|---|',
        ...results,
        '',
      ].join('\n'),
    );
  } finally {
    await session.end();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
