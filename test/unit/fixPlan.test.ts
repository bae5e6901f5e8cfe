import * as assert from 'node:assert/strict';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { PgOpsError } from '../../src/core/errors';
import type { Leftover } from '../../src/core/fix/leftovers';
import { cleanupScript } from '../../src/core/fix/leftovers';
import { checkSeconds, dryRunText, fixPlan } from '../../src/core/fix/plan';
import { blockerLine, checklist, parseDfAvailable } from '../../src/core/fix/preflight';
import { repackLockObjid, repackOutcome, repackPhaseOf } from '../../src/core/fix/repackTool';
import type { FixObject } from '../../src/core/fix/target';

const table: FixObject = {
  kind: 'table',
  oid: 16419,
  schema: 'public',
  name: 'My\nTable',
  table: { oid: 16419, schema: 'public', name: 'My\nTable', relkind: 'r' },
  tableBytes: 100 * 2 ** 20,
  indexesBytes: 10 * 2 ** 20,
  indexBytes: null,
  indexes: [],
  tablespace: { name: 'pg_default', location: '' },
  ownedByUs: true,
};
const index: FixObject = { ...table, kind: 'index', oid: 16424, name: 't_pkey', indexBytes: 4 * 2 ** 20 };
const conn = { database: 'app', host: '/run/postgresql', port: 5432, user: 'dba' };

describe('fix plans', () => {
  it('writes VACUUM and REINDEX as a psql script of inert ASCII lines with lock_timeout', () => {
    const v = fixPlan(table, { action: 'vacuum', waitTimeoutS: 60, lockTimeoutS: 7 }, conn);
    assert.equal(
      dryRunText(v),
      `SET lock_timeout = '7s';\nSET statement_timeout = '0';\nVACUUM (VERBOSE, ANALYZE) "public".U&"My\\000ATable";\n`,
    );
    assert.equal(v.extraBytes, 0, 'a plain VACUUM writes no copy');
    const full = fixPlan(table, { action: 'vacuum', full: true, waitTimeoutS: 60, lockTimeoutS: 7 }, conn);
    assert.match(full.sql?.statement ?? '', /^VACUUM \(FULL, VERBOSE, ANALYZE\)/);
    assert.equal(full.extraBytes, 110 * 2 ** 20);
    assert.match(full.effect, /ACCESS EXCLUSIVE for the whole rewrite|ACCESS EXCLUSIVE lock: nobody/);
    const r = fixPlan(index, { action: 'reindex', waitTimeoutS: 60, lockTimeoutS: 7 }, conn);
    assert.equal(r.sql?.statement, 'REINDEX INDEX CONCURRENTLY "public"."t_pkey";');
    assert.equal(r.extraBytes, 4 * 2 ** 20);
  });

  it('gives pg_repack an argument list with --no-kill-backend and --wait-timeout, quoted for the shell in the dry run', () => {
    const p = fixPlan(table, { action: 'repack', waitTimeoutS: 30, lockTimeoutS: 7 }, conn);
    assert.deepEqual(p.repack?.args, [
      '--echo',
      '--no-kill-backend',
      '--wait-timeout=30',
      '--host=/run/postgresql',
      '--port=5432',
      '--username=dba',
      '--dbname=app',
      '--table="public"."My\nTable"',
    ]);
    assert.equal(
      dryRunText(p, '/usr/bin/pg_repack'),
      '/usr/bin/pg_repack --echo --no-kill-backend --wait-timeout=30 --host=/run/postgresql --port=5432 ' +
        `--username=dba --dbname=app '--table="public"."My\nTable"'\n`,
    );
    const only = fixPlan(table, { action: 'repack', onlyIndexes: true, waitTimeoutS: 30, lockTimeoutS: 7 }, conn);
    assert.equal(only.repack?.args.at(-1), '--only-indexes');
    assert.equal(only.extraBytes, 10 * 2 ** 20);
  });

  it('refuses combinations that make no sense, naming the flag', () => {
    const refused = (f: () => unknown, re: RegExp) =>
      assert.throws(f, (e: unknown) => PgOpsError.is(e, 'fix-usage') && re.test(e.message) && !!e.hint);
    refused(
      () => fixPlan(index, { action: 'vacuum', waitTimeoutS: 1, lockTimeoutS: 1 }, conn),
      /VACUUM works on tables/,
    );
    refused(
      () => fixPlan(table, { action: 'reindex', full: true, waitTimeoutS: 1, lockTimeoutS: 1 }, conn),
      /--full is for vacuum/,
    );
    refused(
      () => fixPlan(index, { action: 'repack', onlyIndexes: true, waitTimeoutS: 1, lockTimeoutS: 1 }, conn),
      /--only-indexes is for repack --table/,
    );
    refused(
      () =>
        fixPlan(
          { ...table, table: { ...table.table, relkind: 'm' } },
          { action: 'repack', waitTimeoutS: 1, lockTimeoutS: 1 },
          conn,
        ),
      /materialized view/,
    );
    assert.throws(
      () => checkSeconds(0, '--wait-timeout'),
      /--wait-timeout must be a whole number of seconds \(at least 1\), not 0/,
    );
    assert.throws(() => checkSeconds(1.5, '--lock-timeout'), /--lock-timeout/);
  });
});

describe('pg_repack as pgops reads it', () => {
  it('follows the phases in its --echo output', () => {
    const lines = [
      'INFO: repacking table "public.t"',
      'LOG: (query) LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE',
      'LOG: (query) CREATE TYPE repack.pk_16419 AS (id integer)',
      'LOG: (query) INSERT INTO repack.table_16419 SELECT id,v FROM ONLY public.t',
      'LOG: (query) CREATE UNIQUE INDEX index_16424 ON repack.table_16419 USING btree (id)',
      'LOG: (query) SELECT repack.repack_apply($1, $2, $3, $4, $5, $6)',
      'LOG: \t(param:0) = SELECT * FROM repack.log_16419 ORDER BY id LIMIT $1',
      'LOG: (query) SELECT repack.repack_swap($1)',
      'LOG: (query) SELECT repack.repack_drop($1, $2)',
      'LOG: (query) ANALYZE public.t',
      'LOG: (query) SELECT pg_advisory_unlock($1, CAST(-2147483648 + $2::bigint AS integer))',
    ];
    assert.deepEqual(lines.map(repackPhaseOf).filter(Boolean), [
      'locking',
      'setting up',
      'copying',
      'indexing',
      'applying changes',
      'swapping',
      'dropping the old copy',
      'analyzing',
      'done',
    ]);
  });

  it('knows that exit 0 with "Skipping repack … due to timeout" means it gave up', () => {
    const out =
      'INFO: repacking table "public.t"\nWARNING: timed out, do not cancel conflicting backends\nINFO: Skipping repack public.t due to timeout\n';
    assert.deepEqual(repackOutcome(out, 0), {
      ok: false,
      abandoned: true,
      message:
        'pg_repack gave up waiting for its lock (--wait-timeout) and left the table as it was: Skipping repack public.t due to timeout',
    });
    assert.equal(repackOutcome('INFO: repacking table "public.t"\nLOG: (query) ANALYZE public.t\n', 0).ok, true);
    const failed = repackOutcome("ERROR: pg_repack failed with error: program 'pg_repack 1.4.7' does not match\n", 1);
    assert.equal(failed.ok, false);
    assert.match(failed.message, /exit 1.*does not match/);
    assert.equal(
      repackOutcome('WARNING: the table "public.t" already has a trigger called "repack_trigger"\n', 0).ok,
      false,
    );
  });

  it('finds its advisory lock by the objid pg_locks shows', () => {
    // pg_try_advisory_lock(16185446, -2147483648 + 16419) reads back as objid 2147500067
    assert.equal(repackLockObjid(16419), 2147500067);
    assert.equal(repackLockObjid(2 ** 31 + 5), 5);
  });
});

describe('fix pre-flight pieces', () => {
  it('reads the available space from df -P -k, also when the device name wraps', () => {
    assert.equal(
      parseDfAvailable(
        'Filesystem     1024-blocks    Used Available Capacity Mounted on\n/dev/sda1       102400   51200     40960      56% /var\n',
      ),
      40960 * 1024,
    );
    assert.equal(
      parseDfAvailable(
        'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/mapper/a-very-long-volume-name\n  102400 51200 10 100% /srv/pg data\n',
      ),
      10240,
      'a wrapped device name and a mount point with a space',
    );
    assert.equal(
      parseDfAvailable(
        'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/mapper/long\n  102400 51200 10 100% /srv\n',
      ),
      10240,
    );
    assert.equal(parseDfAvailable('garbage'), null);
  });

  it('lists a blocker with its pid, who, state, transaction age, locks and statement', () => {
    const b = {
      pid: 4711,
      user: 'app',
      application: 'api',
      state: 'idle in transaction',
      backendType: 'client backend',
      xactAgeS: 125,
      locks: 'RowExclusiveLock',
      query: `UPDATE t\n   SET v = 1 WHERE id = ${'9'.repeat(90)}`,
    };
    assert.equal(
      blockerLine(b),
      `pid 4711 (app, api), idle in transaction, transaction 2 min 05 s, holds RowExclusiveLock: UPDATE t SET v = 1 WHERE id = ${'9'.repeat(49)}…`,
    );
    assert.equal(
      blockerLine({ ...b, pid: 0, user: 'app', application: null, state: 'prepared', locks: null, query: 'gid-1' }),
      'prepared transaction "gid-1", transaction 2 min 05 s',
    );
  });

  it('blocks on a failed check and asks for a go on a warning or an unknown', () => {
    const c = (status: 'ok' | 'warn' | 'unknown' | 'fail') => ({
      id: 'disk' as const,
      title: 't',
      status,
      detail: 'd',
    });
    assert.deepEqual(checklist([c('ok'), c('ok')]), { checks: [c('ok'), c('ok')], blocked: false, needsGo: false });
    assert.equal(checklist([c('ok'), c('unknown')]).needsGo, true);
    assert.equal(checklist([c('warn'), c('fail')]).blocked, true);
  });

  it('writes the cleanup with the repack objects in one transaction and each concurrent index drop on its own', () => {
    const l = (
      kind: Leftover['kind'],
      cleanup: string,
      transactional = true,
      inUseBy: number | null = null,
    ): Leftover => ({
      kind,
      tableOid: 1,
      table: '"public"."t"',
      object: 'x',
      bytes: 0,
      origin: '',
      cleanup,
      transactional,
      inUseBy,
    });
    const script = cleanupScript(
      [
        l('repack trigger', 'DROP TRIGGER IF EXISTS repack_trigger ON "public"."t";'),
        l('repack log table', 'DROP TABLE IF EXISTS "repack"."log_1";'),
        l('invalid index', 'DROP INDEX CONCURRENTLY IF EXISTS "public"."t_pkey_ccnew";', false),
        l('invalid index', 'DROP INDEX CONCURRENTLY IF EXISTS "public"."busy_ccnew";', false, 42),
      ],
      5,
    );
    assert.equal(
      script,
      [
        "SET lock_timeout = '5s';",
        'BEGIN;',
        'DROP TRIGGER IF EXISTS repack_trigger ON "public"."t";',
        'DROP TABLE IF EXISTS "repack"."log_1";',
        'COMMIT;',
        'DROP INDEX CONCURRENTLY IF EXISTS "public"."t_pkey_ccnew";',
        '',
      ].join('\n'),
      'what is in use is left out',
    );
  });
});

describe('pgops fix (usage)', () => {
  function io(): CliIo & { errs: string[] } {
    const errs: string[] = [];
    return { out: () => undefined, err: (t) => errs.push(t), env: { PGHOST: '/nonexistent' }, cwd: '/', errs };
  }

  it('refuses without an action, with both --table and --index, and without --yes where it cannot ask', async () => {
    for (const [args, re] of [
      [['fix'], /give one action: vacuum, reindex, repack, cleanup/],
      [['fix', 'shrink', '--table', 't'], /not "shrink"/],
      [['fix', 'vacuum', '--table', 't', '--index', 'i'], /--table or --index, not both/],
      [['fix', 'vacuum'], /give --table T or --index I/],
      [['fix', 'vacuum', '--table', 't'], /writes to the database: stdin is not a terminal to ask on; pass --yes/],
      [['fix', 'cleanup'], /drops objects: stdin is not a terminal.*--yes/],
      [
        ['fix', 'repack', '--table', 't', '--wait-timeout', '0', '--yes'],
        /--wait-timeout must be a whole number of seconds \(at least 1\)/,
      ],
    ] as const) {
      const x = io();
      const code = await main([...args], x);
      assert.ok(re.test(x.errs.join('\n')), `${args.join(' ')}: ${x.errs.join('\n')}`);
      assert.ok(code === 2 || code === 1, `${args.join(' ')} exits ${code}`);
    }
  });
});
