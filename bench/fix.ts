/**
 * bench:fix — what pgops adds to a maintenance fix: runFix (its own session or pg_repack child, the monitor
 * polling progress and lock waits every second, the sizes and bloat read before and after, the leftovers
 * looked for) next to the same VACUUM sent raw and the same pg_repack run by hand. One dedicated PostgreSQL 15
 * server (Debian's, where pg_repack exists; started and stopped here). Each round rebuilds the same bloated
 * table before each of the two runs, and the order alternates; medians printed. The checklist (prepareFix) is
 * timed on its own: it runs once, before the user presses Run. A benchmark, not a test: it asserts nothing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { withPgpass } from '../src/core/bench/processRunner';
import { openTargetSession } from '../src/core/conn/open';
import type { ConnectionTarget } from '../src/core/conn/session';
import type { FixAction } from '../src/core/fix/plan';
import { fixSessionSafety } from '../src/core/fix/plan';
import { defaultFixSettings, prepareFix } from '../src/core/fix/prepare';
import { runFix } from '../src/core/fix/run';
import { systemBinaries } from '../src/core/sandbox/binaries';
import { startTestServer } from '../test/support/servers';
import { median, time } from './timing';

const run = promisify(execFile);
const rows = Number(process.env.FIX_ROWS ?? 400_000);
const rounds = Number(process.env.FIX_ROUNDS ?? 5);
const repackPath = '/usr/lib/postgresql/15/bin/pg_repack';

/** The same bloated table each time: every other row of `rows` deleted, statistics fresh. */
async function rebuild(admin: Client): Promise<void> {
  await admin.query('DROP TABLE IF EXISTS bench_fix');
  await admin.query('CREATE TABLE bench_fix (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = off)');
  await admin.query('INSERT INTO bench_fix SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, $1) g', [rows]);
  await admin.query('DELETE FROM bench_fix WHERE id % 2 = 0');
  await admin.query('ANALYZE bench_fix');
  await admin.query('CHECKPOINT');
}

async function main(): Promise<void> {
  const pg15 = systemBinaries().find((b) => b.major === 15);
  if (!pg15)
    throw new Error('bench:fix needs PostgreSQL 15 from Debian (apt-get install postgresql-15 postgresql-15-repack)');
  const server = await startTestServer(pg15);
  const target: ConnectionTarget = server.target();
  const admin = await server.admin();
  const monitor = await openTargetSession(target);
  try {
    await admin.query('CREATE EXTENSION pg_repack');
    const cases: Array<{ name: string; action: FixAction; bare: () => Promise<unknown> }> = [
      {
        name: 'VACUUM (VERBOSE, ANALYZE)',
        action: 'vacuum',
        bare: async () => {
          const c = await openTargetSession(target, {
            applicationName: 'bench bare',
            statementTimeoutMs: 0,
            lockTimeoutMs: 10_000,
            readOnly: false,
          });
          try {
            await c.query("SET lock_timeout = '10s'");
            await c.query('VACUUM (VERBOSE, ANALYZE) public.bench_fix');
          } finally {
            await c.end();
          }
        },
      },
      {
        name: 'pg_repack --table',
        action: 'repack',
        // by hand, as a DBA would run it: the same flags but --echo, the password in a pgpass file
        bare: () =>
          withPgpass(target, (env) =>
            run(
              repackPath,
              [
                '--no-kill-backend',
                '--wait-timeout=60',
                `--host=${target.host}`,
                `--port=${target.port}`,
                `--username=${target.user}`,
                '--dbname=postgres',
                '--table=public.bench_fix',
              ],
              { env },
            ),
          ),
      },
    ];
    const lines: string[] = [];
    for (const c of cases) {
      await rebuild(admin);
      const prepare = () =>
        prepareFix(
          monitor,
          { table: 'public.bench_fix' },
          { action: c.action },
          { ...target, database: 'postgres' },
          defaultFixSettings,
          {
            serverMajor: 15,
          },
        );
      const checklistMs: number[] = [];
      for (let i = 0; i < 5; i++) checklistMs.push(await time(prepare));
      const p = await prepare();
      if (p.checklist.blocked) throw new Error(`the checklist blocks ${c.name}: ${JSON.stringify(p.checklist.checks)}`);
      const ours = () =>
        runFix(p.object, p.plan, {
          monitor,
          serverVersionNum: 150000,
          openFixSession: () => openTargetSession(target, fixSessionSafety('pgops fix', 10)),
          repack: p.repackProgram ? { program: p.repackProgram.path, login: target } : undefined,
        }).then((o) => {
          if (o.status !== 'done') throw new Error(`${c.name}: ${o.message}`);
        });
      const o: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const order = i % 2 === 0 ? [ours, c.bare] : [c.bare, ours];
        for (const fn of order) {
          await rebuild(admin);
          (fn === ours ? o : b).push(await time(fn));
        }
      }
      const om = median(o);
      const bm = median(b);
      const met = om <= 1.1 * bm + 300 ? 'met' : '**missed**';
      lines.push(
        `| ${c.name} | ${om.toFixed(0)} ms | ${bm.toFixed(0)} ms | ${(om / bm).toFixed(2)} | ${(om - bm).toFixed(0)} ms | ` +
          `${met} | ${median(checklistMs).toFixed(1)} ms |`,
      );
    }
    const stamp = new Date().toISOString().slice(0, 16).replace('T', ' ');
    process.stdout.write(
      [
        `bench:fix on PostgreSQL 15 (pg_repack 1.4.8): a table of ${rows} rows with every other one deleted, rebuilt ` +
          `before each run; ${rounds} rounds per case, order alternating (medians), ${stamp} UTC`,
        '',
        '| fix | runFix median | bare median | ratio | difference | target ≤ 1.1× + 300 ms | checklist (prepareFix) median |',
        '|---|---|---|---|---|---|---|',
        ...lines,
        '',
      ].join('\n'),
    );
  } finally {
    await monitor.end();
    await admin.end();
    await server.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:fix failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
