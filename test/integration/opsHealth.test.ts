/**
 * Health checks and maintenance progress against real servers: an invalid index left by a failed
 * CREATE UNIQUE INDEX CONCURRENTLY, an unused and a duplicate index, a check refused by a privilege
 * while the others still run, a throttled VACUUM seen in progress, `pgops health --json|--strict` and
 * `pgops progress --json`, and wraparound on a small dedicated server with a low autovacuum_freeze_max_age.
 */
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import type { Client } from 'pg';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { openTargetSession } from '../../src/core/conn/open';
import type { HealthCheckId, HealthOptions, HealthResult } from '../../src/core/ops/health';
import { healthCheckIds, runHealthChecks } from '../../src/core/ops/health';
import type { ProgressSnapshot } from '../../src/core/ops/progress';
import { loadActivity } from '../../src/core/ops/activityLoad';
import { maintenanceProgress, runsMaintenance } from '../../src/core/ops/progress';
import { WaitHistory } from '../../src/core/ops/waitHistory';
import type { TestServer } from '../support/servers';
import { forEachServer, startTestServer } from '../support/servers';
import { freshDatabase, until } from './diagSupport';

function io(env: NodeJS.ProcessEnv): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), env, cwd: process.cwd() };
}

async function checksOn(
  server: TestServer,
  database: string,
  options: Partial<HealthOptions> = {},
  only?: HealthCheckId[],
): Promise<Map<HealthCheckId, HealthResult>> {
  const c = await openTargetSession(server.target({ database }));
  try {
    return new Map((await runHealthChecks(c, { options, only })).map((r) => [r.id, r]));
  } finally {
    await c.end();
  }
}

function check(results: Map<HealthCheckId, HealthResult>, id: HealthCheckId): HealthResult {
  const r = results.get(id);
  assert.ok(r, `no result for ${id}`);
  return r;
}

forEachServer('ops health checks and maintenance progress', (srv, major) => {
  const dbName = 'ops_health';
  const role = 'ops_health_reader';
  const password = crypto.randomBytes(12).toString('hex');
  let db: Client;
  const conn = () => `host=127.0.0.1 port=${srv().port} user=postgres dbname=${dbName}`;

  before(async () => {
    db = await freshDatabase(srv(), dbName);
    await db.query(`DROP ROLE IF EXISTS ${role}`);
    await db.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
  });

  after(async () => {
    await db?.end();
    const admin = await srv().admin();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
    } finally {
      await admin.end();
    }
  });

  it('runs every check on this version with a status, value, threshold and message; io is unknown before 16', async () => {
    const results = await checksOn(srv(), dbName);
    assert.deepEqual([...results.keys()], [...healthCheckIds]);
    for (const r of results.values()) {
      assert.ok(['ok', 'warn', 'fail', 'unknown'].includes(r.status), `${r.id}: ${r.status}`);
      assert.ok(r.message.length > 0, `${r.id} has no message`);
      if (r.id === 'io' && major < 16) continue;
      assert.notEqual(r.status, 'unknown', `${r.id} is unknown for a superuser: ${r.message}`);
      assert.ok(r.threshold, `${r.id} has no threshold`);
    }
    const io16 = check(results, 'io');
    if (major < 16) assert.match(io16.message, /pg_stat_io needs PostgreSQL 16/);
    const connections = check(results, 'connections');
    assert.ok((connections.value ?? 0) > 0, 'this session uses a connection slot');
    assert.ok(connections.details.some((d) => d.group === 'state' && d.key === 'active'));
  });

  it('flags the invalid index of a failed CREATE UNIQUE INDEX CONCURRENTLY as fail, with a fix naming it', async () => {
    await db.query('CREATE TABLE public.ops_dup (v int)');
    await db.query('INSERT INTO public.ops_dup VALUES (1), (1), (2)');
    await assert.rejects(
      db.query('CREATE UNIQUE INDEX CONCURRENTLY ops_dup_v ON public.ops_dup (v)'),
      /could not create unique index "ops_dup_v"/,
    );
    const invalid = check(await checksOn(srv(), dbName), 'invalid-indexes');
    assert.equal(invalid.status, 'fail', invalid.message);
    assert.equal(invalid.value, 1);
    assert.match(invalid.message, /public\.ops_dup_v/);
    assert.match(invalid.fix ?? '', /^DROP INDEX CONCURRENTLY "public"\."ops_dup_v";/);
    assert.match(invalid.fix ?? '', /REINDEX INDEX CONCURRENTLY "public"\."ops_dup_v";/);
    assert.deepEqual(
      invalid.details.map((d) => [d.index, d.unique]),
      [['ops_dup_v', true]],
    );
  });

  it('pgops health --json gives {id, status, value, threshold, message, fix}; --strict exits 1 on the failed check', async () => {
    const env = { PGPASSWORD: srv().password };
    const asJson = io(env);
    assert.equal(await main(['health', '--conn', conn(), '--json'], asJson), 0, asJson.stderr.join('\n'));
    const rows = JSON.parse(asJson.stdout.join('\n')) as Array<Record<string, unknown>>;
    assert.deepEqual(
      rows.map((r) => r.id),
      [...healthCheckIds],
    );
    for (const r of rows)
      for (const k of ['id', 'status', 'value', 'threshold', 'message', 'fix']) assert.ok(k in r, k);
    assert.equal(rows.find((r) => r.id === 'invalid-indexes')?.status, 'fail');

    const strict = io(env);
    assert.equal(await main(['health', '--conn', conn(), '--strict'], strict), 1);
    assert.match(strict.stderr.join('\n'), /pgops health: check invalid-indexes failed: 1 invalid index/);
    assert.match(strict.stdout.join('\n'), /^status\s+check\s+value\s+threshold/);
    assert.match(
      strict.stdout.join('\n'),
      /invalid-indexes \(fail\): .*\n\s+fix: DROP INDEX CONCURRENTLY "public"\."ops_dup_v"/,
    );

    await db.query('DROP INDEX public.ops_dup_v');
    const fixed = check(await checksOn(srv(), dbName, {}, ['invalid-indexes']), 'invalid-indexes');
    assert.equal(fixed.status, 'ok', fixed.message);
    assert.equal(fixed.fix, null);
  });

  it('flags a non-unique index never scanned (not the unique or primary key ones) and a duplicate index', async () => {
    await db.query('CREATE TABLE public.ops_unused (id int PRIMARY KEY, v int, w int)');
    await db.query('INSERT INTO public.ops_unused SELECT g, g % 100, g FROM generate_series(1, 2000) g');
    await db.query('CREATE INDEX ops_unused_v ON public.ops_unused (v)');
    await db.query('CREATE INDEX ops_unused_v_again ON public.ops_unused (v)');
    await db.query('CREATE UNIQUE INDEX ops_unused_w ON public.ops_unused (w)');
    const results = await checksOn(srv(), dbName, { detailRows: 50 });
    const unused = check(results, 'unused-indexes');
    assert.equal(unused.status, 'warn', unused.message);
    assert.deepEqual(unused.details.map((d) => d.index).sort(), ['ops_unused_v', 'ops_unused_v_again']);
    assert.ok(unused.details.every((d) => typeof d.bytes === 'number' && d.bytes > 0));
    assert.match(unused.fix ?? '', /DROP INDEX CONCURRENTLY "public"\."ops_unused_v";/);
    const duplicate = check(results, 'duplicate-indexes');
    assert.equal(duplicate.status, 'warn', duplicate.message);
    assert.deepEqual(
      duplicate.details.map((d) => [d.keep, d.redundant]),
      [['ops_unused_v', 'ops_unused_v_again']],
    );
    assert.match(duplicate.fix ?? '', /^DROP INDEX CONCURRENTLY "public"\."ops_unused_v_again";/);

    // once scanned, an index is no longer unused (the counters reach the view when the backend flushes them)
    await db.query('DROP INDEX public.ops_unused_v_again');
    await db.query('BEGIN');
    await db.query('SET LOCAL enable_seqscan = off');
    await db.query('SET LOCAL enable_bitmapscan = off');
    await db.query('SELECT count(*) FROM public.ops_unused WHERE v = 7');
    await db.query('COMMIT');
    await until('the index scan to be counted', async () => {
      // before 15 a backend sends its counters to the collector only as it goes idle, at most every 500 ms, and
      // never from a session that stays idle: each poll gives it another idle transition
      await db.query('SELECT 1');
      const r = check(await checksOn(srv(), dbName, {}, ['unused-indexes']), 'unused-indexes');
      return r.status === 'ok' ? r : undefined;
    });
  });

  it('a check refused by a privilege is unknown with the reason and the grant to ask for; the others still run', async () => {
    // in this database only: pg_catalog's views belong to each database
    await db.query('REVOKE SELECT ON pg_catalog.pg_sequences FROM PUBLIC');
    const c = await openTargetSession(srv().target({ database: dbName, user: role, password }));
    let results: Map<HealthCheckId, HealthResult>;
    try {
      results = new Map((await runHealthChecks(c)).map((r) => [r.id, r]));
    } finally {
      await c.end();
    }
    const sequences = check(results, 'sequences');
    assert.equal(sequences.status, 'unknown');
    assert.match(sequences.message, /Health check sequences: permission denied .*pg_sequences/);
    assert.match(sequences.fix ?? '', /GRANT pg_monitor TO/);
    const connections = check(results, 'connections');
    assert.notEqual(connections.status, 'unknown', connections.message);
    assert.ok((connections.value ?? 0) > 0);
    assert.notEqual(check(results, 'wraparound').status, 'unknown');
    assert.equal(results.size, healthCheckIds.length);
  });

  it('shows a VACUUM throttled by vacuum_cost_delay with its phase, blocks and table, in core and in pgops progress', async function () {
    this.timeout(180_000);
    await db.query('CREATE TABLE public.ops_big (id int, pad text) WITH (autovacuum_enabled = false)');
    await db.query("INSERT INTO public.ops_big SELECT g, repeat('x', 200) FROM generate_series(1, 40000) g");
    const vacuumer = await srv().admin(dbName);
    const pid = Number((await vacuumer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    await vacuumer.query('SET vacuum_cost_delay = 100');
    await vacuumer.query('SET vacuum_cost_limit = 1');
    const vacuuming = vacuumer.query('VACUUM public.ops_big').then(
      () => 'finished',
      (err: Error) => err.message,
    );
    const c = await openTargetSession(srv().target({ database: dbName }));
    try {
      const seen = await until(
        'the VACUUM to show in pg_stat_progress_vacuum',
        async () => {
          const snap = await maintenanceProgress(c);
          return snap.operations.find((o) => o.pid === pid && o.phase === 'scanning heap' && (o.total ?? 0) > 0);
        },
        60_000,
      );
      assert.equal(seen.kind, 'vacuum');
      assert.equal(seen.command, 'VACUUM');
      assert.equal(seen.autovacuum, false);
      assert.equal(seen.relation, 'public.ops_big');
      assert.equal(seen.database, dbName);
      assert.equal(seen.unit, 'blocks');
      assert.ok(seen.percent !== null && seen.percent >= 0 && seen.percent < 100, String(seen.percent));

      // the Activity view's refresh reads the progress views because a listed session runs VACUUM, and shows it
      const load = await loadActivity(c, major * 10000, {}, new WaitHistory());
      assert.ok(
        load.snapshot.sessions.some((s) => s.pid === pid && runsMaintenance(s)),
        'the VACUUM is listed',
      );
      assert.equal(load.progress.find((o) => o.pid === pid)?.relation, 'public.ops_big');

      const cli = io({ PGPASSWORD: srv().password });
      assert.equal(await main(['progress', '--conn', conn(), '--json'], cli), 0, cli.stderr.join('\n'));
      const snap = JSON.parse(cli.stdout.join('\n')) as ProgressSnapshot;
      const row = snap.operations.find((o) => o.pid === pid);
      assert.ok(row, cli.stdout.join('\n'));
      assert.equal(row.relation, 'public.ops_big');
      assert.match(row.phase, /heap|index|truncat|cleanup/);
      assert.ok(Array.isArray(snap.autovacuumWorkers));
    } finally {
      await db.query('SELECT pg_cancel_backend($1)', [pid]);
      assert.match(await vacuuming, /canceling statement due to user request|finished/);
      await vacuumer.end();
      await c.end();
    }
  });
});

forEachServer('ops health: wraparound on a small dedicated server', (srv) => {
  let server: TestServer;

  before(async function () {
    this.timeout(180_000);
    // autovacuum off so that nothing freezes meanwhile; the anti-wraparound workers it still starts
    // come only past autovacuum_freeze_max_age, which the test stays under
    server = await startTestServer(srv().binaries, {
      settings: { autovacuum: 'off', autovacuum_freeze_max_age: '100000' },
    });
  });

  after(async () => {
    await server?.stop();
  });

  it('goes to warn once age(datfrozenxid) passes the warn share of autovacuum_freeze_max_age', async function () {
    this.timeout(180_000);
    const thresholds = { wraparoundPct: { warn: 50, fail: 90 } };
    const before = check(await checksOn(server, 'postgres', thresholds, ['wraparound']), 'wraparound');
    assert.equal(before.status, 'ok', before.message);
    assert.ok((before.value ?? 100) < 10, `a fresh cluster is young: ${before.value}`);

    const admin = await server.admin();
    try {
      // 60 000 transactions, each with its own XID
      await admin.query(
        'DO $$ BEGIN FOR i IN 1..60000 LOOP PERFORM pg_catalog.txid_current(); COMMIT; END LOOP; END $$',
      );
    } finally {
      await admin.end();
    }
    const after = check(await checksOn(server, 'postgres', thresholds, ['wraparound']), 'wraparound');
    assert.equal(after.status, 'warn', after.message);
    assert.ok((after.value ?? 0) >= 60 && (after.value ?? 0) < 90, String(after.value));
    assert.match(after.message, /of autovacuum_freeze_max_age 100000/);
    assert.match(after.fix ?? '', /VACUUM \(FREEZE/);
    assert.ok(after.details.some((d) => typeof d.table === 'string' && (d.xidAge as number) >= 60000));
    // the default threshold waits for autovacuum_freeze_max_age itself
    const byDefault = check(await checksOn(server, 'postgres', {}, ['wraparound']), 'wraparound');
    assert.equal(byDefault.status, 'ok', byDefault.message);
  });
});
