/**
 * `pgops fix` for real: VACUUM, REINDEX CONCURRENTLY and Debian's pg_repack 1.4.8 (PostgreSQL 15) run against
 * the shared test servers, with real concurrent writers, blocking transactions, a pg_repack killed with
 * SIGKILL and a REINDEX cancelled half-way. PostgreSQL 18 (embedded) has no pg_repack: there the tests check
 * that repack is refused with the reason, and that vacuum and reindex report their progress.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { Client as PgClient } from 'pg';
import type { HostShell } from '../../src/core/bench/hostShell';
import { localShell } from '../../src/core/bench/hostShell';
import { openTargetSession } from '../../src/core/conn/open';
import type { ConnectionTarget } from '../../src/core/conn/session';
import { cleanUpLeftovers, findLeftovers } from '../../src/core/fix/leftovers';
import type { FixAction } from '../../src/core/fix/plan';
import { fixSessionSafety } from '../../src/core/fix/plan';
import type { PreparedFix } from '../../src/core/fix/prepare';
import { defaultFixSettings, prepareFix } from '../../src/core/fix/prepare';
import type { FixEvent, FixOutcome } from '../../src/core/fix/run';
import { runFix } from '../../src/core/fix/run';
import { quoteQualified } from '../../src/core/sql';
import { forEachServer, tempDir } from '../support/servers';
import { cliEnv, runCliProcess } from './cliProcess';
import { freshDatabase, until } from './diagSupport';

const run = promisify(execFile);
const psqlPath = '/usr/lib/postgresql/15/bin/psql';
const repackPath = '/usr/lib/postgresql/15/bin/pg_repack';
const db = 'fix_run';

/** A table of `rows` rows with every other one deleted: half of it is dead space a rewrite gives back. */
async function bloatedTable(admin: Client, name: string, rows: number, key = 'PRIMARY KEY'): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${quoteQualified('public', name)}`);
  await admin.query(
    `CREATE TABLE ${quoteQualified('public', name)} (id int ${key}, v text) WITH (autovacuum_enabled = off)`,
  );
  await admin.query(
    `INSERT INTO ${quoteQualified('public', name)} SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, $1) g`,
    [rows],
  );
  await admin.query(`DELETE FROM ${quoteQualified('public', name)} WHERE id % 2 = 0`);
  await admin.query(`ANALYZE ${quoteQualified('public', name)}`);
}

forEachServer('pgops fix', (srv, major) => {
  let admin: Client;
  let monitor: Client;
  let home: string;
  const others: Client[] = [];

  const target = (): ConnectionTarget => srv().target({ database: db });
  const conn = () => `host=127.0.0.1 port=${srv().port} user=postgres dbname=${db}`;
  const pgops = (...args: string[]) =>
    runCliProcess(args, { env: cliEnv(home, { PGPASSWORD: srv().password }), timeoutMs: 120_000 });

  async function session(app: string): Promise<Client> {
    const c = new PgClient({
      host: srv().socketDir,
      port: srv().port,
      user: 'postgres',
      database: db,
      application_name: app,
    });
    c.on('error', () => undefined);
    await c.connect();
    others.push(c);
    return c;
  }

  function prepare(
    action: FixAction,
    spec: { table?: string; index?: string },
    extra: Partial<typeof defaultFixSettings> = {},
    request: { full?: boolean; onlyIndexes?: boolean } = {},
    // the test servers run on this machine: df runs here
    shell: (() => Promise<HostShell | string>) | null = () => Promise.resolve(localShell()),
  ): Promise<PreparedFix> {
    const t = target();
    return prepareFix(
      monitor,
      spec,
      { action, ...request },
      { host: t.host, port: t.port, user: t.user, database: db },
      { ...defaultFixSettings, ...extra },
      {
        serverMajor: major,
        hostShell: shell ?? undefined,
      },
    );
  }

  function runPrepared(
    p: PreparedFix,
    events: FixEvent[] = [],
    signal?: AbortSignal,
    onEvent?: (e: FixEvent) => void,
  ): Promise<FixOutcome> {
    return runFix(p.object, p.plan, {
      monitor,
      serverVersionNum: major * 10000,
      pollMs: 200,
      openFixSession: () => openTargetSession(target(), fixSessionSafety('pgops fix', p.plan.request.lockTimeoutS)),
      repack: p.repackProgram ? { program: p.repackProgram.path, login: target(), env: {} } : undefined,
      signal,
      onEvent: (e) => {
        events.push(e);
        onEvent?.(e);
      },
    });
  }

  const status = (p: PreparedFix, id: string) => p.checklist.checks.find((c) => c.id === id)?.status;

  before(async function () {
    this.timeout(120_000);
    admin = await freshDatabase(srv(), db);
    monitor = await openTargetSession(target());
    home = tempDir('fix-home');
  });

  afterEach(async () => {
    for (const c of others.splice(0)) await c.end().catch(() => undefined);
  });

  after(async () => {
    await monitor?.end();
    await admin?.end();
    if (home) fs.rmSync(home, { recursive: true, force: true });
  });

  it('vacuum reports its progress from pg_stat_progress_vacuum, can be cancelled, and ends with a before/after summary', async () => {
    await bloatedTable(admin, 'vac', 50_000);
    // cost-based delay (read by the fix's new sessions) stretches the VACUUM over seconds, so the monitor sees it work
    await admin.query(`ALTER DATABASE ${db} SET vacuum_cost_delay = '20ms'`);
    await admin.query(`ALTER DATABASE ${db} SET vacuum_cost_limit = 200`);
    try {
      const p = await prepare('vacuum', { table: 'vac' });
      assert.equal(p.checklist.blocked, false, JSON.stringify(p.checklist.checks));
      assert.equal(status(p, 'disk'), 'ok', 'a plain VACUUM needs no free space for a copy');
      const abort = new AbortController();
      const cancelled = await runPrepared(p, [], abort.signal, (e) => {
        if (e.type === 'progress') abort.abort();
      });
      assert.equal(cancelled.status, 'cancelled', cancelled.message);
      assert.match(cancelled.message, /cancelled \(pg_cancel_backend\)/);
      assert.equal(cancelled.after, null);

      const events: FixEvent[] = [];
      const out = await runPrepared(p, events);
      assert.equal(out.status, 'done', out.message);
      assert.ok(events.some((e) => e.type === 'started' && e.what === 'session'));
      const progress = events.filter((e): e is Extract<FixEvent, { type: 'progress' }> => e.type === 'progress');
      assert.ok(
        progress.some(
          (e) =>
            /heap/.test(e.phase) && e.percent !== null && e.percent > 0 && /^VACUUM: \d+ of \d+ blocks/.test(e.detail),
        ),
        `progress with a percentage while VACUUM works on the heap: ${JSON.stringify(progress)}`,
      );
      assert.ok(
        out.output.some((l) => /^INFO: .*vacuuming/i.test(l)),
        `VERBOSE output kept: ${out.output.join('\n')}`,
      );
      await until('the vacuum counted in pg_stat_user_tables', async () => {
        const r = await admin.query<{ n: string }>(
          "SELECT vacuum_count AS n FROM pg_stat_user_tables WHERE relname = 'vac'",
        );
        return Number(r.rows[0].n) >= 1 ? true : undefined;
      });
      assert.ok(out.after, 'sizes after the run');
      assert.ok(
        typeof out.bloatAfter === 'object' && out.bloatAfter !== null,
        `bloat measured after: ${JSON.stringify(out.bloatAfter)}`,
      );
      assert.equal(out.leftovers.length, 0);
    } finally {
      await admin.query(`ALTER DATABASE ${db} RESET vacuum_cost_delay`);
      await admin.query(`ALTER DATABASE ${db} RESET vacuum_cost_limit`);
    }
  });

  it('vacuum FULL on a table held by a transaction gives up after lock_timeout and leaves the holder alone', async () => {
    await bloatedTable(admin, 'held', 20_000);
    const holder = await session('holder');
    await holder.query('BEGIN');
    await holder.query('SELECT count(*) FROM held');
    const p = await prepare('vacuum', { table: 'held' }, { lockTimeoutS: 1 }, { full: true });
    assert.equal(status(p, 'disk'), 'ok', 'the copy of VACUUM FULL fits on the disk (measured locally with df)');
    assert.match(p.checklist.checks.find((c) => c.id === 'disk')?.detail ?? '', /free on .* \(local\)/);
    const blind = await prepare('vacuum', { table: 'held' }, {}, { full: true }, null);
    assert.equal(status(blind, 'disk'), 'unknown', 'without a shell on the host the free space is unknown');
    assert.match(
      blind.checklist.checks.find((c) => c.id === 'disk')?.detail ?? '',
      /free space unknown: no access to the database host/,
    );
    assert.equal(blind.checklist.needsGo, true, 'an unknown needs an explicit go');
    const blockers = p.checklist.checks.find((c) => c.id === 'blockers');
    assert.equal(blockers?.status, 'warn');
    assert.ok(
      blockers?.blockers?.some((b) => b.application === 'holder' && /AccessShareLock/.test(b.locks ?? '')),
      JSON.stringify(blockers),
    );
    const out = await runPrepared(p);
    assert.equal(out.status, 'abandoned', out.message);
    assert.match(out.message, /lock_timeout \(1 s\)/);
    assert.equal((await holder.query<{ one: number }>('SELECT 1 AS one')).rows[0].one, 1, 'the holder is alive');
    await holder.query('ROLLBACK');
  });

  it('reindex CONCURRENTLY reports its progress and who it waits for; cancelled, it leaves an invalid index that pgops drops', async () => {
    await bloatedTable(admin, 'rx', 100_000);
    const writer = await session('writer');
    await writer.query('BEGIN');
    await writer.query('UPDATE rx SET v = v WHERE id = 1');
    const writerPid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
    const p = await prepare('reindex', { index: 'rx_pkey' }, { lockTimeoutS: 600 });
    assert.equal(p.checklist.blocked, false, JSON.stringify(p.checklist.checks));
    const abort = new AbortController();
    const events: FixEvent[] = [];
    let sawWait = false;
    const out = await runPrepared(p, events, abort.signal, (e) => {
      if (e.type === 'locks' && e.waitsFor.some((w) => w.pid === writerPid)) {
        sawWait = true;
        if (events.some((x) => x.type === 'progress' && /waiting for/.test(x.detail + x.phase))) abort.abort();
      }
    });
    assert.ok(sawWait, 'the monitor named the writer the REINDEX waited for');
    assert.ok(
      events.some(
        (e) => e.type === 'progress' && /^waiting for /.test(e.phase) && /^REINDEX CONCURRENTLY: /.test(e.detail),
      ),
      `pg_stat_progress_create_index reported the phase: ${JSON.stringify(events.filter((e) => e.type === 'progress'))}`,
    );
    assert.equal(out.status, 'cancelled', out.message);
    const invalid = out.leftovers.filter((l) => l.kind === 'invalid index');
    assert.ok(
      invalid.some((l) => /rx_pkey_ccnew/.test(l.object)),
      `invalid _ccnew index detected: ${JSON.stringify(out.leftovers)}`,
    );
    await writer.query('COMMIT');
    const r = await cleanUpLeftovers(
      (safety) => openTargetSession(target(), safety),
      await findLeftovers(monitor, p.object.table.oid),
      10,
    );
    assert.ok(r.dropped.length >= 1);
    const left = await admin.query(
      "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'rx'::regclass AND NOT i.indisvalid",
    );
    assert.deepEqual(left.rows, [], 'no invalid index is left');
    assert.deepEqual(await findLeftovers(monitor, p.object.table.oid), []);
    // and the fix then runs to the end
    const again = await runPrepared(await prepare('reindex', { index: 'rx_pkey' }));
    assert.equal(again.status, 'done', again.message);
    assert.ok(again.after?.indexBytes !== null && again.after?.indexBytes !== undefined);
  });

  it('a hostile name: the --dry-run output run through psql -f does nothing but the fix', async function () {
    assert.ok(fs.existsSync(psqlPath), `${psqlPath} is missing: apt-get install postgresql-client-15`);
    const name = 'x\n"; DROP TABLE sentinel; --\'';
    await admin.query('CREATE TABLE IF NOT EXISTS sentinel (id int)');
    await admin.query(`DROP TABLE IF EXISTS ${quoteQualified('public', name)}`);
    await admin.query(`CREATE TABLE ${quoteQualified('public', name)} (id int PRIMARY KEY)`);
    await admin.query(`CREATE INDEX ON ${quoteQualified('public', name)} (id)`);
    const cwd = tempDir('fix-dry');
    try {
      for (const [action, flag] of [
        ['vacuum', '--table'],
        ['reindex', '--table'],
      ] as const) {
        const r = await pgops('fix', action, '--conn', conn(), flag, quoteQualified('public', name), '--dry-run');
        assert.equal(r.code, 0, r.err);
        const file = path.join(cwd, `${action}.sql`);
        fs.writeFileSync(file, r.out);
        const s = srv();
        const { stdout } = await run(
          psqlPath,
          [
            '-X',
            '-e',
            '-v',
            'ON_ERROR_STOP=1',
            '-h',
            s.socketDir,
            '-p',
            String(s.port),
            '-U',
            'postgres',
            '-d',
            db,
            '-f',
            file,
          ],
          {
            cwd,
            env: { PATH: process.env.PATH, HOME: home },
          },
        );
        const dry = r.out.split('\n').filter(Boolean);
        assert.equal(dry.length, 3, r.out);
        assert.deepEqual(
          stdout.split('\n').filter(Boolean),
          [dry[0], 'SET', dry[1], 'SET', dry[2], action === 'vacuum' ? 'VACUUM' : 'REINDEX'],
          'psql sent the two settings and the one fix, nothing else',
        );
        assert.match(dry[2], /^(VACUUM \(VERBOSE, ANALYZE\)|REINDEX TABLE CONCURRENTLY) "public"\.U&"[^\n]*";$/);
        assert.equal(
          (await admin.query<{ t: string }>("SELECT to_regclass('public.sentinel') AS t")).rows[0].t,
          'sentinel',
        );
        assert.deepEqual(
          fs.readdirSync(cwd).sort(),
          [`${action}.sql`].concat(action === 'reindex' ? ['vacuum.sql'] : []).sort(),
        );
      }
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  if (major !== 15) {
    it('repack is refused with the reason where the server has no pg_repack', async () => {
      await bloatedTable(admin, 'norepack', 1000);
      const p = await prepare('repack', { table: 'norepack' });
      assert.equal(p.checklist.blocked, true);
      const ext = p.checklist.checks.find((c) => c.id === 'repack-extension');
      assert.equal(ext?.status, 'fail');
      assert.match(
        ext?.detail ?? '',
        /pg_repack is not available on this server.*pg_available_extensions.*postgresql-<major>-repack/,
      );
      const r = await pgops('fix', 'repack', '--conn', conn(), '--table', 'norepack', '--yes');
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /✘ pg_repack extension: pg_repack is not available on this server/);
      assert.match(r.err, /A check failed: the fix does not run/);
    });
    return;
  }

  describe('pg_repack (Debian postgresql-15-repack)', () => {
    before(async () => {
      assert.ok(
        fs.existsSync(repackPath),
        `${repackPath} is missing: apt-get install postgresql-15-repack (scripts/prerequisites.mjs installs it)`,
      );
      await admin.query('CREATE EXTENSION IF NOT EXISTS pg_repack');
    });

    it('a repack under a concurrent writer keeps every row, shrinks the table and leaves no repack objects', async () => {
      await bloatedTable(admin, 'busy', 300_000);
      const untouched = async () =>
        (
          await admin.query<{ n: string; h: string }>(
            "SELECT count(*) AS n, md5(string_agg(id::text || ':' || v, ',' ORDER BY id)) AS h FROM busy WHERE id <= 200000",
          )
        ).rows[0];
      const before = await untouched();
      const sizeBefore = Number((await admin.query<{ s: string }>("SELECT pg_table_size('busy') AS s")).rows[0].s);
      const writer = await session('writer');
      let writes = 0;
      let stop = false;
      let next = 1_000_000;
      const writing = (async () => {
        while (!stop) {
          await writer.query('INSERT INTO busy VALUES ($1, $2)', [next, `w${next}`]);
          await writer.query('UPDATE busy SET v = v || $2 WHERE id = $1', [next, '+']);
          if (next % 3 === 0) await writer.query('DELETE FROM busy WHERE id = $1', [next - 1]);
          next++;
          writes++;
        }
      })();
      const p = await prepare('repack', { table: 'busy' });
      assert.equal(p.checklist.blocked, false, JSON.stringify(p.checklist.checks));
      const events: FixEvent[] = [];
      let writesAtCopy = -1;
      const out = await runPrepared(p, events, undefined, (e) => {
        if (e.type === 'phase' && e.phase === 'copying') writesAtCopy = writes;
      });
      const writesAfter = writes;
      stop = true;
      await writing;
      assert.equal(out.status, 'done', `${out.message}\n${out.output.join('\n')}`);
      assert.ok(
        writesAtCopy >= 0 && writesAfter > writesAtCopy,
        `the writer wrote during the repack (${writesAtCopy} → ${writesAfter})`,
      );
      assert.deepEqual(await untouched(), before, 'the rows the writer does not touch are all there, unchanged');
      const written = await admin.query<{ n: string }>('SELECT count(*) AS n FROM busy WHERE id >= 1000000');
      const deleted = Math.floor((next - 1) / 3) - Math.floor(999_999 / 3);
      assert.equal(
        Number(written.rows[0].n),
        next - 1_000_000 - deleted,
        'every write of the writer is there, none twice',
      );
      const sizeAfter = Number((await admin.query<{ s: string }>("SELECT pg_table_size('busy') AS s")).rows[0].s);
      assert.ok(sizeAfter < sizeBefore * 0.8, `the table shrank: ${sizeBefore} → ${sizeAfter}`);
      assert.ok(out.after && out.after.tableBytes < out.before.tableBytes);
      const phases = events.filter((e) => e.type === 'phase').map((e) => (e as { phase: string }).phase);
      for (const ph of ['setting up', 'copying', 'applying changes', 'swapping', 'done'])
        assert.ok(phases.includes(ph), `phase ${ph} in ${phases.join(', ')}`);
      assert.deepEqual(await findLeftovers(monitor), []);
      const objects = await admin.query(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'repack' AND c.relname ~ '^(log|table|pk)_'",
      );
      assert.deepEqual(objects.rows, []);
      const triggers = await admin.query("SELECT tgname FROM pg_trigger WHERE tgname = 'repack_trigger'");
      assert.deepEqual(triggers.rows, []);
    });

    it('a repack facing a blocking transaction with a short --wait-timeout gives up with exit 1 and leaves the blocker alive', async () => {
      await bloatedTable(admin, 'blocked', 5_000);
      const blocker = await session('blocker');
      await blocker.query('BEGIN');
      await blocker.query('SELECT count(*) FROM blocked');
      const blockerPid = (await blocker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const r = await pgops(
        'fix',
        'repack',
        '--conn',
        conn(),
        '--table',
        'public.blocked',
        '--wait-timeout',
        '3',
        '--yes',
      );
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /⚠ No transaction older than .*pid \d+ \(postgres, blocker\).*AccessShareLock/);
      assert.match(r.err, /abandoned: pg_repack gave up waiting for its lock \(--wait-timeout\)/);
      assert.match(r.err, new RegExp(`the fix waits for pid ${blockerPid}`), 'the lock wait was reported live');
      const alive = await admin.query<{ state: string }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [
        blockerPid,
      ]);
      assert.equal(alive.rows[0]?.state, 'idle in transaction', 'the blocker was neither cancelled nor terminated');
      assert.equal((await blocker.query<{ n: string }>('SELECT count(*) AS n FROM blocked')).rows[0].n, '2500');
      await blocker.query('ROLLBACK');
      assert.deepEqual(await findLeftovers(monitor), []);
    });

    it('a pg_repack killed with SIGKILL mid-copy leaves leftovers that pgops detects and cleans; a second repack then succeeds', async () => {
      await bloatedTable(admin, 'killed', 300_000);
      const p = await prepare('repack', { table: 'killed' });
      let repackPid = 0;
      const out = await runPrepared(p, [], undefined, (e) => {
        if (e.type === 'started' && e.what === 'pg_repack') repackPid = e.pid;
        if (e.type === 'phase' && e.phase === 'copying') process.kill(repackPid, 'SIGKILL');
      });
      assert.equal(out.status, 'failed');
      assert.match(out.message, /killed \(SIGKILL\) in phase "copying"/);
      const kinds = out.leftovers.map((l) => l.kind).sort();
      assert.deepEqual(kinds, ['repack key type', 'repack log table', 'repack trigger'], JSON.stringify(out.leftovers));
      // a second repack is refused in pre-flight while the trigger is there
      const blocked = await prepare('repack', { table: 'killed' });
      assert.equal(status(blocked, 'leftovers'), 'fail');
      // the killed client's backend finishes its statement and goes; until then the objects are in use
      await until('the killed repack backend gone', async () => {
        const l = await findLeftovers(monitor, p.object.table.oid);
        return l.every((x) => x.inUseBy === null) ? l : undefined;
      });
      // the CLI shows the cleanup before it runs it
      const dry = await pgops('fix', 'cleanup', '--conn', conn(), '--table', 'killed', '--dry-run');
      assert.equal(dry.code, 0, dry.err);
      const oid = p.object.table.oid;
      assert.equal(
        dry.out.trim(),
        [
          "SET lock_timeout = '10s';",
          'BEGIN;',
          'DROP TRIGGER IF EXISTS repack_trigger ON "public"."killed";',
          `DROP TABLE IF EXISTS "repack"."log_${oid}";`,
          `DROP TYPE IF EXISTS "repack"."pk_${oid}";`,
          'COMMIT;',
        ].join('\n'),
      );
      assert.match(
        dry.err,
        /repack trigger repack_trigger on "public"\."killed": pg_repack was interrupted: this trigger still copies every change/,
      );
      assert.equal((await findLeftovers(monitor)).length, 3, 'the dry run dropped nothing');
      const clean = await pgops('fix', 'cleanup', '--conn', conn(), '--table', 'killed', '--yes');
      assert.equal(clean.code, 0, clean.err);
      assert.match(clean.err, /dropped 3 leftovers/);
      assert.deepEqual(await findLeftovers(monitor), []);
      const again = await runPrepared(await prepare('repack', { table: 'killed' }));
      assert.equal(again.status, 'done', again.message);
      assert.equal((await admin.query<{ n: string }>('SELECT count(*) AS n FROM killed')).rows[0].n, '150000');
    });

    it('a repack cancelled mid-copy stops pg_repack with SIGINT, which removes its own objects', async () => {
      await bloatedTable(admin, 'interrupted', 300_000);
      const p = await prepare('repack', { table: 'interrupted' });
      const abort = new AbortController();
      const out = await runPrepared(p, [], abort.signal, (e) => {
        if (e.type === 'phase' && e.phase === 'copying') abort.abort();
      });
      assert.equal(out.status, 'cancelled', out.message);
      assert.match(out.message, /pg_repack stopped by SIGINT in phase "copying"/);
      assert.deepEqual(out.leftovers, [], 'pg_repack dropped its log, key type and trigger itself');
      assert.equal(out.after, null);
      assert.equal((await admin.query<{ n: string }>('SELECT count(*) AS n FROM interrupted')).rows[0].n, '150000');
    });

    it('pre-flight refuses a pg_repack of another version and a table without a usable key', async () => {
      await bloatedTable(admin, 'nokey', 1000, '');
      const p = await prepare('repack', { table: 'nokey' });
      assert.equal(status(p, 'repack-key'), 'fail');
      assert.match(
        p.checklist.checks.find((c) => c.id === 'repack-key')?.detail ?? '',
        /no primary key and no valid unique index on NOT NULL columns/,
      );
      const cli = await pgops('fix', 'repack', '--conn', conn(), '--table', 'nokey', '--yes');
      assert.equal(cli.code, 1);
      assert.match(cli.err, /✘ A key for the change log/);
      // Debian ships one pg_repack; a program of another version cannot be installed here, so a stand-in
      // answering --version as pg_repack 1.4.7 stands in for it (pre-flight never lets it run anything else)
      const dir = tempDir('fix-oldrepack');
      try {
        const fake = path.join(dir, 'pg_repack');
        fs.writeFileSync(fake, '#!/bin/sh\necho "pg_repack 1.4.7"\n', { mode: 0o755 });
        await bloatedTable(admin, 'versioned', 1000);
        const q = await prepare('repack', { table: 'versioned' }, { pgRepackPath: fake });
        assert.equal(status(q, 'repack-program'), 'fail');
        assert.match(
          q.checklist.checks.find((c) => c.id === 'repack-program')?.detail ?? '',
          /is pg_repack 1\.4\.7 but the extension in this database is 1\.4\.8/,
        );
        const r = await pgops('fix', 'repack', '--conn', conn(), '--table', 'versioned', '--pg-repack', fake, '--yes');
        assert.equal(r.code, 1);
        assert.match(r.err, /✘ pg_repack program/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
