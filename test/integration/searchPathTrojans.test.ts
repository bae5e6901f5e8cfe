/**
 * search_path trojans (CVE-2018-1058 class). For every function name the SQL in src/core calls,
 * an unprivileged role with CREATE on `public` plants look-alikes with exact-match signatures
 * (polymorphic and "any" arguments made concrete, regclass also as oid and text, defaults left
 * off). Then every pgops command and every view's loader runs against that database, on a primary
 * and its standby, and none of the look-alikes may run: each would log `pgops-trojan-fired` as a
 * WARNING, which the test reads from the server logs. The pg_stat_statements and pgstattuple
 * extensions live in a schema whose name needs quoting, so only SQL that qualifies them with the
 * schema they are really installed in can reach them.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { Client as PgClient } from 'pg';
import { pgbenchOptions } from '../../src/core/bench/commandLine';
import { collectDbFacts } from '../../src/core/bench/dbFacts';
import { readServerHbaRules } from '../../src/core/auth/hba';
import { readServerSideFacts } from '../../src/core/conn/authPlanFor';
import { connectResolved } from '../../src/core/conn/connect';
import { resolveCliConnection } from '../../src/core/conn/resolveTarget';
import { serverVersionNum } from '../../src/core/conn/session';
import { estimateBloat } from '../../src/core/diag/bloat';
import { measureBloat } from '../../src/core/diag/bloatExact';
import { listPublications, peekSlot } from '../../src/core/diag/logicalPeek';
import { loadQueryStats } from '../../src/core/diag/queryStatsLoad';
import { dropSlot, replicationOverview } from '../../src/core/diag/replication';
import { StatementHistory } from '../../src/core/diag/statementDeltas';
import {
  explainGenericPlan,
  requireStatements,
  resetStatements,
  statementOrders,
} from '../../src/core/diag/statements';
import { sampleWaits, WaitSampler } from '../../src/core/diag/waitSampler';
import { readActivity } from '../../src/core/ops/activity';
import { explainSessionQuery } from '../../src/core/ops/activityExplain';
import { blockingTree } from '../../src/core/ops/blocking';
import { cancelBackend, terminateBackend } from '../../src/core/ops/signal';
import { runHealthChecks } from '../../src/core/ops/health';
import { maintenanceProgress } from '../../src/core/ops/progress';
import type { Report } from '../../src/core/report';
import { readReport } from '../../src/core/report';
import { quoteIdent } from '../../src/core/sql';
import { forEachServer, repoRoot, tempDir } from '../support/servers';
import type { CliRun } from './cliProcess';
import { cliEnv, runCliProcess } from './cliProcess';
import type { Standby } from './diagSupport';
import { startStandby, until } from './diagSupport';
import type { PlantPlan } from './trojans';
import { calledNamesInSource, firedMarker, LogWatch, plantLookalikes, plantPlan } from './trojans';
import { itemText } from '../support/itemText';
import { jsonText } from '../../src/core/report/model';

const sourceNames = calledNamesInSource(path.join(repoRoot, 'src', 'core'));
const trojanDb = 'pgops_trojans';
const planter = 'pgops_trojan_planter';
const extSchema = 'pgops ext';
const pgbench = '/usr/lib/postgresql/15/bin/pgbench';
/** The names the security review reproduced, and the commonest catalog calls. */
const reviewedNames = [
  'unnest',
  'pg_relation_size',
  'pg_stat_statements_reset',
  'current_setting',
  'pg_wal_lsn_diff',
  'format_type',
];

/** What this test drives, so a reader can check it against `grep -rn "query(" src/core`. */
const entryPoints = [
  'CLI: conn test, stats (every --order, --json), slots, bloat, waits, hba check --conn, health --json, progress --json',
  'CLI: bench (init, CHECKPOINT and both resets, db facts before/after, wait and statement observers, pgbench)',
  'conn/connect connectResolved (target_session_attrs any, primary, read-write: SHOW transaction_read_only, pg_is_in_recovery) and describeSession',
  'conn/session serverVersionNum; conn/authPlanFor readServerSideFacts; auth/hba readServerHbaRules',
  'diag/queryStatsLoad loadQueryStats cumulative (every order) and delta (probe, health notes, canReset, snapshots, changed counters, texts)',
  'diag/statements resetStatements, explainGenericPlan (16+): the statement detail panel',
  'diag/replication replicationOverview on the primary (slots, standbys) and on the standby (WAL receiver, its own slot), dropSlot',
  'diag/logicalPeek peekSlot test_decoding and pgoutput (publications, format_type of the columns), listPublications',
  'diag/bloat estimateBloat; diag/bloatExact measureBloat pgstattuple_approx, pgstattuple, pgstatindex',
  'diag/waitSampler WaitSampler.sampleOnce, sampleWaits; bench/dbFacts collectDbFacts',
  'ops/activity readActivity with a lock wait (blockers, pg_locks relation), explainSessionQuery; ops/signal cancelBackend, terminateBackend',
  '  on the primary (READ WRITE) and cancelBackend on the standby; CLI: activity (--all, --blocking), cancel, terminate',
  'ops/health runHealthChecks (every check) on the primary and the standby; ops/progress maintenanceProgress',
  'not here: OAuth sessions (the same startup options, unit-tested) and the sandbox setup session (sandbox tests)',
];

describe('search_path trojans: the functions core SQL calls are read from the source', () => {
  it('finds the calls in src/core strings, including the ones the security review named', () => {
    for (const name of [...reviewedNames, 'pgstattuple', 'count']) {
      assert.ok(sourceNames.has(name), `${name} not found in the strings of src/core`);
    }
    console.log(`      entry points driven:\n${entryPoints.map((e) => `        - ${e}`).join('\n')}`);
  });
});

forEachServer('search_path trojans planted in public', (srv, major) => {
  let plan: PlantPlan;
  let standby: Standby;
  let watches: LogWatch[] = [];
  let home: string;
  const conninfo = (extra = '') => `host=127.0.0.1 port=${srv().port} user=postgres dbname=${trojanDb}${extra}`;
  const env = () => ({ PGPASSWORD: srv().password });
  const slot = (kind: string) => `pgops_trojan_${kind}`;

  async function session(info = conninfo()): Promise<Client> {
    const safety = {
      applicationName: 'pgops trojan test',
      statementTimeoutMs: 30_000,
      lockTimeoutMs: 1000,
      readOnly: true,
    };
    return (await connectResolved(resolveCliConnection(info, env()), { safety })).client;
  }

  /** The test's own superuser session in the trojans' database, with its path pinned too. */
  async function pinnedAdmin(): Promise<Client> {
    const c = await srv().admin(trojanDb);
    await c.query('SET search_path = pg_catalog, pg_temp');
    return c;
  }

  /**
   * Runs `fn` and fails when it failed or any look-alike fired meanwhile (on the primary or the standby);
   * a look-alike that fired is reported even when `fn` failed too.
   */
  async function withoutTrojans<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (const w of watches) w.mark();
    try {
      return await fn();
    } finally {
      const fired = [...new Set(watches.flatMap((w) => w.firedSinceMark()))];
      assert.deepEqual(fired, [], `${what} ran look-alikes planted in public:\n${fired.join('\n')}`);
    }
  }

  async function cli(args: string[], timeoutMs = 60_000): Promise<CliRun> {
    const r = await runCliProcess(args, { env: cliEnv(home, env()), timeoutMs });
    assert.equal(r.code, 0, `pgops ${args.slice(0, 2).join(' ')} failed:\n${r.err}`);
    assert.ok(!/Error generating report/.test(r.out), r.out);
    return r;
  }

  before(async function () {
    this.timeout(300_000);
    home = tempDir('trojans-home');
    const admin = await srv().admin();
    try {
      await dropLeftovers(admin);
      await admin.query(`CREATE ROLE ${planter} NOLOGIN`);
      await admin.query(`CREATE DATABASE ${trojanDb}`);
      // the statement that ran a look-alike is logged next to its warning
      await admin.query(`ALTER DATABASE ${trojanDb} SET log_min_error_statement = warning`);
    } finally {
      await admin.end();
    }
    const db = await pinnedAdmin();
    try {
      await seed(db);
      plan = await plantPlan(db, [...sourceNames.keys()], ['pg_catalog', extSchema]);
      await db.query(`GRANT CREATE ON SCHEMA public TO ${planter}`);
      await plantLookalikes(db, planter, plan.lookalikes);
    } finally {
      await db.end();
    }
    standby = await startStandby(srv(), slot('standby'));
    watches = [new LogWatch(srv().layout.logFile), new LogWatch(standby.logFile)];
  });

  after(async function () {
    this.timeout(60_000);
    await standby?.stop();
    const admin = await srv().admin();
    try {
      await dropLeftovers(admin);
    } finally {
      await admin.end();
    }
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  async function dropLeftovers(admin: Client): Promise<void> {
    await admin.query(`SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots
      WHERE slot_name LIKE 'pgops\\_trojan\\_%' AND NOT active`);
    await admin.query(`DROP DATABASE IF EXISTS ${trojanDb} WITH (FORCE)`);
    await admin.query(`DROP ROLE IF EXISTS ${planter}`);
  }

  /** Data for every query to return rows, so a look-alike it would call really runs. */
  async function seed(db: Client): Promise<void> {
    const ext = quoteIdent(extSchema);
    await db.query(`CREATE SCHEMA ${ext}`);
    await db.query(`CREATE EXTENSION pg_stat_statements SCHEMA ${ext}`);
    await db.query(`CREATE EXTENSION pgstattuple SCHEMA ${ext}`);
    await db.query('CREATE TABLE public.trojan_bloat (id int PRIMARY KEY, pad text) WITH (fillfactor = 80)');
    await db.query(
      "INSERT INTO public.trojan_bloat SELECT g, pg_catalog.repeat('x', 100) FROM pg_catalog.generate_series(1, 5000) g",
    );
    await db.query('DELETE FROM public.trojan_bloat WHERE id % 2 = 0');
    await db.query('CREATE TABLE public.trojan_names (n name, t text)');
    await db.query("INSERT INTO public.trojan_names SELECT 'n' || g, NULL FROM pg_catalog.generate_series(1, 100) g");
    await db.query('CREATE TABLE public.trojan_empty (id int)');
    await db.query('CREATE TABLE public.sp_seen (path text)');
    await db.query('ANALYZE');
    await db.query('CREATE PUBLICATION trojan_pub FOR TABLE public.trojan_bloat');
    await db.query(`SELECT pg_catalog.pg_create_logical_replication_slot('${slot('td')}', 'test_decoding')`);
    await db.query(`SELECT pg_catalog.pg_create_logical_replication_slot('${slot('po')}', 'pgoutput')`);
    await db.query(`SELECT pg_catalog.pg_create_physical_replication_slot('${slot('drop')}', true)`);
    await db.query('INSERT INTO public.trojan_bloat VALUES (100001, $1), (100002, NULL)', ['changed']);
    await db.query("UPDATE public.trojan_bloat SET pad = 'y' WHERE id = 1");
    for (let i = 0; i < 5; i++) await db.query('SELECT count(*) FROM public.trojan_bloat WHERE id > $1', [i]);
  }

  it('plants look-alikes of every function the core SQL calls, as a role that may only CREATE in public', () => {
    const names = plan.functionNames;
    console.log(`      ${names.length} functions, ${plan.lookalikes.length} look-alikes: ${names.join(', ')}`);
    if (plan.skipped.length) console.log(`      not imitable: ${plan.skipped.join('; ')}`);
    for (const name of [...reviewedNames, 'pgstatindex', 'array_agg']) {
      assert.ok(names.includes(name), `${name} is not among the planted names`);
    }
    const signatures = [
      'unnest(text[])',
      'unnest(bigint[])',
      'unnest(oid[])',
      'pg_relation_size(oid)',
      'pg_stat_statements_reset()',
      'count(name)',
      'array_agg(text)',
    ];
    for (const sig of signatures) {
      assert.ok(
        plan.lookalikes.some((l) => l.signature === sig),
        `no look-alike ${sig}`,
      );
    }
  });

  it('the trap works: a plain session with the default search_path runs a planted look-alike', async () => {
    const plain = await srv().admin(trojanDb);
    for (const w of watches) w.mark();
    try {
      await plain.query("SELECT pg_catalog.count(x) FROM unnest('{a,b}'::text[]) x");
      await plain.query("SELECT pg_relation_size('public.trojan_bloat'::regclass::oid)");
    } finally {
      await plain.end();
    }
    const fired = watches[0].firedSinceMark();
    assert.ok(
      fired.some((l) => l.startsWith(`${firedMarker}: unnest(text[])`)),
      fired.join('\n'),
    );
    assert.ok(
      fired.some((l) => l.startsWith(`${firedMarker}: pg_relation_size(oid)`)),
      fired.join('\n'),
    );
  });

  it('pgops conn test, and a user options string cannot unpin the path', () =>
    withoutTrojans('conn test', async () => {
      await cli(['conn', 'test', '--conn', conninfo(), '--json']);
      const r = await cli([
        'conn',
        'test',
        '--conn',
        conninfo(" options='-c search_path=public,pg_catalog'"),
        '--json',
      ]);
      assert.equal((JSON.parse(r.out) as { serverVersionNum: number }).serverVersionNum >= major * 10000, true);
      await cli(['stats', '--conn', conninfo(" options='-c search_path=public,pg_catalog'"), '--json']);
    }));

  it('a session opened with a user options string naming public still searches only the catalog', async () => {
    const c = await session(conninfo(" options='-c search_path=public,pg_catalog'"));
    try {
      assert.deepEqual(
        (await c.query<{ s: string[] }>('SELECT pg_catalog.current_schemas(true)::text[] AS s')).rows[0].s,
        ['pg_catalog'],
      );
    } finally {
      await c.end();
    }
  });

  it('a pgbench search_path with spaces, quotes and backslashes reaches the server as written', async () => {
    const weird = 'we"ird \\ na\tme';
    const db = await pinnedAdmin();
    try {
      await db.query(`CREATE SCHEMA ${quoteIdent(weird)}`);
      const options = pgbenchOptions('-c work_mem=8MB', { searchPath: [weird, 'public'] });
      const c = new PgClient({
        host: srv().socketDir,
        port: srv().port,
        user: 'postgres',
        database: trojanDb,
        options,
      });
      await c.connect();
      try {
        assert.deepEqual(
          (await c.query<{ s: string[] }>('SELECT pg_catalog.current_schemas(true)::text[] AS s')).rows[0].s,
          ['pg_catalog', weird, 'public'],
        );
      } finally {
        await c.end();
      }
    } finally {
      await db.end();
    }
  });

  it('pgops stats with every order', () =>
    withoutTrojans('stats', async () => {
      for (const order of statementOrders) {
        const rows = JSON.parse(
          (await cli(['stats', '--conn', conninfo(), '--order', order, '--limit', '10', '--json'])).out,
        ) as unknown[];
        assert.ok(rows.length > 0, `stats --order ${order} returned nothing`);
      }
    }));

  it('pgops slots, bloat, waits and hba check --conn', () =>
    withoutTrojans('slots/bloat/waits/hba', async () => {
      const slots = JSON.parse((await cli(['slots', '--conn', conninfo(), '--json'])).out) as Array<{
        slotName: string;
      }>;
      assert.ok(slots.some((s) => s.slotName === slot('td')));
      const bloat = JSON.parse((await cli(['bloat', '--conn', conninfo(), '--limit', '50', '--json'])).out) as Array<{
        name: string;
      }>;
      assert.ok(bloat.some((b) => b.name === 'trojan_bloat'));
      await cli(['waits', '--conn', conninfo(), '--seconds', '1', '--hz', '5', '--json']);
      await cli([
        'hba',
        'check',
        '--conn',
        conninfo(),
        '--type',
        'host',
        '--address',
        '127.0.0.1',
        '--database',
        trojanDb,
        '--user',
        'postgres',
        '--json',
      ]);
    }));

  it('pgops bench: a real pgbench sweep with init, CHECKPOINT and both resets; pgbench runs with search_path public', async function () {
    this.timeout(300_000);
    const out = tempDir('trojans-bench');
    try {
      const probe = path.join(out, 'search_path.sql');
      fs.writeFileSync(probe, "INSERT INTO sp_seen (path) SELECT current_setting('search_path');\n");
      await withoutTrojans('bench', () =>
        cli(
          [
            'bench',
            '--conn',
            conninfo(),
            '--clients',
            '1,2',
            '--transactions',
            '30',
            '--scale',
            '1',
            '--builtin',
            'tpcb-like@1',
            '--file',
            `${probe}@1`,
            '--reset-statements',
            '--reset-stats',
            '--pgbench',
            pgbench,
            '--out',
            out,
            '--report-name',
            `trojans-pg${major}`,
          ],
          240_000,
        ),
      );
      const report: Report = readReport(path.join(out, `trojans-pg${major}.pgperf.json`));
      assert.equal(report.pgops?.status, 'complete');
      const resets = itemText(report.sections.benchmark.reports.iteration_resets);
      assert.match(resets, /pg_stat_statements_reset\(\) done/);
      assert.doesNotMatch(resets, /failed/);
      const errors = Object.entries(report.sections.db.reports).filter(([, item]) =>
        /^Error/.test(jsonText(item.data)),
      );
      assert.deepEqual(
        errors.map(([k]) => k),
        [],
        'database facts that failed',
      );
      const notes = report.pgops?.environmentNotes ?? [];
      assert.ok(!notes.some((n) => /not collected/.test(n) && !/system facts/.test(n)), notes.join('\n'));
      assert.ok(
        report.pgops?.iterations.every((it) => (it.topStatements ?? []).length > 0),
        'top statements of every iteration',
      );
      assert.deepEqual((report.pgops?.plan as { searchPath?: string[] } | undefined)?.searchPath, ['public']);
      const db = await pinnedAdmin();
      try {
        const seen = (await db.query<{ path: string }>('SELECT DISTINCT path FROM public.sp_seen')).rows.map(
          (r) => r.path,
        );
        assert.deepEqual(seen, ['"public"'], 'the search_path pgbench ran with');
      } finally {
        await db.end();
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("Connections: sessions with target_session_attrs, the auth facts and the server's pg_hba rules", () =>
    withoutTrojans('connections', async () => {
      for (const attrs of ['primary', 'read-write']) {
        const c = await session(conninfo(` target_session_attrs=${attrs}`));
        try {
          assert.equal(Math.floor((await serverVersionNum(c)) / 10000), major);
          assert.equal((await readServerSideFacts(c)).clientAddress, '127.0.0.1');
          assert.ok((await readServerHbaRules(c)).rules.length > 0);
        } finally {
          await c.end();
        }
      }
    }));

  it('Query Stats: cumulative in every order, deltas, the detail panel and the reset', () =>
    withoutTrojans('query stats', async () => {
      const c = await session();
      try {
        const history = new StatementHistory();
        for (const order of statementOrders) {
          const load = await loadQueryStats(c, { mode: 'cumulative', order, limit: 20, history });
          assert.equal(load.probe.state, 'ready');
          assert.ok(load.statements.length > 0 && load.notes.length > 0 && load.canReset);
        }
        await loadQueryStats(c, { mode: 'delta', order: 'total', limit: 20, history });
        const db = await pinnedAdmin();
        for (let i = 0; i < 3; i++)
          await db.query('SELECT pg_catalog.count(*) FROM public.trojan_names WHERE t IS NULL AND n > $1::name', [
            `n${i}`,
          ]);
        await db.end();
        const delta = await loadQueryStats(c, { mode: 'delta', order: 'calls', limit: 20, history });
        assert.ok(
          delta.statements.some((s) => (s.query ?? '').includes('trojan_names')),
          'the new statement shows in the deltas with its text',
        );
        const source = await requireStatements(c);
        if (major >= 16)
          assert.match(
            await explainGenericPlan(c, major * 10000, 'SELECT * FROM public.trojan_names WHERE n = $1'),
            /Seq Scan/,
          );
        await resetStatements(c, source);
      } finally {
        await c.end();
      }
    }));

  it('Replication: slots and standbys on the primary, the WAL receiver on the standby, and Drop Slot', () =>
    withoutTrojans('replication', async () => {
      const c = await session();
      try {
        const o = await until('the standby to stream', async () => {
          const x = await replicationOverview(c, major * 10000);
          return x.standbys.some((s) => s.state === 'streaming') ? x : undefined;
        });
        assert.ok(o.slots.some((s) => s.slotName === slot('td') && s.retainedBytes !== null));
        await dropSlot(c, slot('drop'));
      } finally {
        await c.end();
      }
      const sbAdmin = await standby.admin();
      await sbAdmin.query('SET search_path = pg_catalog, pg_temp');
      await sbAdmin.query(`SELECT pg_catalog.pg_create_physical_replication_slot('${slot('on_standby')}', true)`);
      await sbAdmin.end();
      const s = await session(`host=127.0.0.1 port=${standby.port} user=postgres dbname=${trojanDb}`);
      try {
        const o = await until('the WAL receiver', async () => {
          const x = await replicationOverview(s, major * 10000);
          return x.receiver?.status === 'streaming' ? x : undefined;
        });
        assert.ok(o.standby && o.slots.some((x) => x.slotName === slot('on_standby') && x.retainedBytes !== null));
      } finally {
        await s.end();
      }
    }));

  it('Peek Changes: test_decoding and pgoutput', () =>
    withoutTrojans('peek', async () => {
      const c = await session();
      try {
        assert.deepEqual(
          (await listPublications(c)).map((p) => p.name),
          ['trojan_pub'],
        );
        const td = await peekSlot(c, slot('td'), 50);
        assert.ok(td.rows.some((r) => r.kind === 'insert'));
        const po = await peekSlot(c, slot('po'), 50, { publications: ['trojan_pub'] });
        assert.ok(
          po.rows.some((r) => r.kind === 'insert' && /\[integer\]/.test(r.text)),
          JSON.stringify(po.rows.slice(0, 5)),
        );
      } finally {
        await c.end();
      }
    }));

  it('Bloat: the estimate and every exact measure', () =>
    withoutTrojans('bloat', async () => {
      const c = await session();
      try {
        const rows = await estimateBloat(c, 50);
        const table = rows.find((r) => r.name === 'trojan_bloat');
        const index = rows.find((r) => r.name === 'trojan_bloat_pkey');
        assert.ok(table && index, rows.map((r) => r.name).join(', '));
        assert.equal((await measureBloat(c, table.oid, 'table')).method, 'pgstattuple_approx');
        assert.equal((await measureBloat(c, table.oid, 'table', { exact: true })).method, 'pgstattuple');
        assert.equal((await measureBloat(c, index.oid, 'index')).method, 'pgstatindex');
      } finally {
        await c.end();
      }
    }));

  it('Activity: a lock wait with its blocker, cancel and terminate on the primary, cancel on the standby', () =>
    withoutTrojans('activity', async () => {
      const version = major * 10000;
      const [holder, waiter] = await Promise.all([pinnedAdmin(), pinnedAdmin()]);
      holder.on('error', () => undefined);
      const pidOf = async (x: Client) =>
        (await x.query<{ p: number }>('SELECT pg_catalog.pg_backend_pid() AS p')).rows[0].p;
      const [holderPid, waiterPid] = [await pidOf(holder), await pidOf(waiter)];
      const c = await session();
      try {
        // the Activity view's EXPLAIN of a session's statement (current_database, then EXPLAIN of the text)
        const statement = {
          pid: holderPid,
          user: 'postgres',
          query: 'SELECT pg_catalog.count(*) FROM public.trojan_empty',
          database: trojanDb,
        };
        assert.match(await explainSessionQuery(c, version, statement), /Aggregate/);
        await holder.query('BEGIN');
        await holder.query('LOCK TABLE public.trojan_empty IN ACCESS EXCLUSIVE MODE');
        const waiting = waiter.query('SELECT pg_catalog.count(*) FROM public.trojan_empty').catch((e: Error) => e);
        const snap = await until('the lock wait', async () => {
          const x = await readActivity(c, version, { includeIdle: true });
          return x.sessions.some((s) => s.pid === waiterPid && s.waitingFor?.relation === 'public.trojan_empty')
            ? x
            : undefined;
        });
        assert.ok(blockingTree(snap.sessions).some((n) => n.pid === holderPid && n.children.length > 0));
        assert.equal(await cancelBackend(c, waiterPid), true);
        assert.equal(((await waiting) as { code?: string }).code, '57014');
        assert.equal(await terminateBackend(c, holderPid), true);
      } finally {
        await c.end();
        await Promise.all([holder, waiter].map((x) => x.end().catch(() => undefined)));
      }
      const sleeper = await standby.admin();
      await sleeper.query('SET search_path = pg_catalog, pg_temp');
      const sleeperPid = await pidOf(sleeper);
      const sleeping = sleeper.query('SELECT pg_catalog.pg_sleep(600)').catch((e: Error) => e);
      const s = await session(`host=127.0.0.1 port=${standby.port} user=postgres dbname=${trojanDb}`);
      try {
        await until('the sleep on the standby', async () =>
          (await readActivity(s, version)).sessions.find((x) => x.pid === sleeperPid && x.waitEvent === 'PgSleep'),
        );
        assert.equal(await cancelBackend(s, sleeperPid), true);
        assert.equal(((await sleeping) as { code?: string }).code, '57014');
      } finally {
        await s.end();
        await sleeper.end();
      }
    }));

  it('pgops activity, cancel and terminate', () =>
    withoutTrojans('activity CLI', async () => {
      const target = await pinnedAdmin();
      target.on('error', () => undefined);
      const pid = (await target.query<{ p: number }>('SELECT pg_catalog.pg_backend_pid() AS p')).rows[0].p;
      try {
        const rows = JSON.parse((await cli(['activity', '--conn', conninfo(), '--json', '--all'])).out) as Array<{
          pid: number;
        }>;
        assert.ok(rows.some((r) => r.pid === pid));
        await cli(['activity', '--conn', conninfo(), '--blocking']);
        await cli(['cancel', '--conn', conninfo(), '--pid', String(pid), '--yes']);
        await cli(['terminate', '--conn', conninfo(), '--pid', String(pid), '--yes']);
      } finally {
        await target.end().catch(() => undefined);
      }
    }));

  it('Health checks and maintenance progress, on the primary and the standby, and pgops health|progress', () =>
    withoutTrojans('health and progress', async () => {
      for (const info of [conninfo(), `host=127.0.0.1 port=${standby.port} user=postgres dbname=${trojanDb}`]) {
        const c = await session(info);
        try {
          const results = await runHealthChecks(c);
          const unknown = results.filter((r) => r.status === 'unknown' && !(r.id === 'io' && major < 16));
          assert.deepEqual(
            unknown.map((r) => `${r.id}: ${r.message}`),
            [],
          );
          if (info === conninfo())
            assert.ok(
              results.find((r) => r.id === 'replication-slots')?.details.some((d) => d.slot === slot('td')),
              'the inactive slots are listed',
            );
          const progress = await maintenanceProgress(c);
          assert.ok(Array.isArray(progress.operations) && Array.isArray(progress.autovacuumWorkers));
        } finally {
          await c.end();
        }
      }
      const health = JSON.parse((await cli(['health', '--conn', conninfo(), '--json'])).out) as Array<{ id: string }>;
      assert.ok(health.some((r) => r.id === 'wraparound'));
      await cli(['progress', '--conn', conninfo(), '--json']);
    }));

  it("Wait events and the bench's database facts", () =>
    withoutTrojans('waits and facts', async () => {
      const c = await session();
      try {
        await new WaitSampler(c, { backendTypes: ['client backend'] }).sampleOnce();
        assert.ok((await sampleWaits(c, 0.5, { hz: 10 })).samples > 0);
        const facts = await collectDbFacts(c);
        const errors = Object.entries(facts).filter(([, item]) => /^Error/.test(jsonText(item.data)));
        assert.deepEqual(
          errors.map(([k, item]) => `${k}: ${jsonText(item.data)}`),
          [],
        );
      } finally {
        await c.end();
      }
    }));
});
