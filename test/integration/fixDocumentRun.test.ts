/**
 * Generated fix documents, run for real: tables and indexes with hostile names (test/support/hostileNames.ts)
 * are found by the real bloat estimate, their documents are run by the real psql (-f, ON_ERROR_STOP) and
 * the repack documents by the real sh and bash (with a stand-in pg_repack). A sentinel table and an empty
 * working directory show that nothing but the fix ran; the catalog shows that it reached the hostile-named relation.
 */
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from 'pg';
import { openTargetSession } from '../../src/core/conn/open';
import type { BloatEstimate } from '../../src/core/diag/bloat';
import { estimateBloat } from '../../src/core/diag/bloat';
import type { FixTarget } from '../../src/core/diag/bloatFix';
import { fixDocument, repackArgs } from '../../src/core/diag/bloatFix';
import { preloadFix } from '../../src/core/diag/statementHealth';
import { quoteIdent, quoteQualified } from '../../src/core/sql';
import { hostileNames } from '../support/hostileNames';
import type { TestServer } from '../support/servers';
import { forEachServer, tempDir } from '../support/servers';
import { freshDatabase } from './diagSupport';

const run = promisify(execFile);
const psqlPath = '/usr/lib/postgresql/15/bin/psql';
const shells = ['/bin/sh', '/bin/bash'];
const names = hostileNames.filter((n) => Buffer.byteLength(n) <= 63);
/** The schema of the hostile-named indexes: a hostile name itself. */
const indexSchema = 'x\nDROP TABLE sentinel;--';

/** The document's lines that are not comments: what psql should send, and echo with -e. */
function statementOf(content: string): string {
  return content
    .split('\n')
    .filter((l) => l && !l.startsWith('--'))
    .join('\n');
}

/** Environment without the caller's PG* variables, so psql connects where the test says. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG'))), ...extra };
}

forEachServer('generated fix documents run for real', (srv) => {
  let admin: Client;
  let estimates: BloatEstimate[];
  let work: string;
  let cwd: string;

  before(async function () {
    this.timeout(180_000);
    assert.ok(fs.existsSync(psqlPath), `${psqlPath} is missing: apt-get install postgresql-client-15`);
    admin = await freshDatabase(srv(), 'fix_docs');
    await admin.query('CREATE TABLE sentinel (id int)');
    await admin.query(`CREATE SCHEMA ${quoteIdent(indexSchema)}`);
    await admin.query(`CREATE TABLE ${quoteQualified(indexSchema, 'indexed')} (id int)`);
    await admin.query(`INSERT INTO ${quoteQualified(indexSchema, 'indexed')} SELECT generate_series(1, 200)`);
    for (const name of names) {
      await admin.query(`CREATE TABLE ${quoteQualified('public', name)} (id int)`);
      await admin.query(`INSERT INTO ${quoteQualified('public', name)} SELECT generate_series(1, 200)`);
      await admin.query(`CREATE INDEX ${quoteIdent(name)} ON ${quoteQualified(indexSchema, 'indexed')} (id)`);
    }
    const session = await openTargetSession(srv().target({ database: 'fix_docs' }));
    try {
      estimates = await estimateBloat(session, 10_000);
    } finally {
      await session.end();
    }
    work = tempDir('fix-docs');
    cwd = tempDir('fix-docs-cwd');
  });

  // each test starts with the sentinel, so a test that lost it fails alone
  beforeEach(async () => {
    await admin.query('CREATE TABLE IF NOT EXISTS sentinel (id int)');
  });

  after(async () => {
    await admin?.end();
    for (const dir of [work, cwd]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  function estimateOf(schema: string, name: string, kind: 'table' | 'index'): BloatEstimate {
    const e = estimates.find((x) => x.schema === schema && x.name === name && x.kind === kind);
    assert.ok(e, `the bloat estimate lists ${kind} ${JSON.stringify(schema)}.${JSON.stringify(name)}`);
    return e;
  }

  function target(s: TestServer, e: BloatEstimate): FixTarget {
    return {
      schema: e.schema,
      name: e.name,
      kind: e.kind,
      database: 'fix_docs',
      host: s.host,
      port: s.port,
      user: s.user,
    };
  }

  /** Runs a document with the real psql as a user would, and returns what psql echoed of the statements it sent. */
  async function runPsql(content: string, env: Record<string, string> = {}): Promise<string[]> {
    const file = path.join(work, 'fix.sql');
    fs.writeFileSync(file, content);
    const s = srv();
    const { stdout } = await run(
      psqlPath,
      [
        '-X',
        '-e',
        '-v',
        'ON_ERROR_STOP=1',
        '-v',
        'v=x"; DROP TABLE sentinel; --',
        '-h',
        s.host,
        '-p',
        String(s.port),
        '-U',
        s.user,
        '-d',
        'fix_docs',
        '-f',
        file,
      ],
      { cwd, env: cleanEnv({ PGPASSWORD: s.password, ...env }), timeout: 60_000 },
    );
    return stdout.split('\n').filter(Boolean);
  }

  async function assertNothingElseRan(what: string): Promise<void> {
    const sentinel = await admin.query<{ t: string | null }>("SELECT to_regclass('public.sentinel') AS t");
    assert.equal(sentinel.rows[0].t, 'sentinel', `${what}: the sentinel table survives`);
    assert.deepEqual(fs.readdirSync(cwd), [], `${what}: nothing was written in the working directory`);
  }

  it('a VACUUM document vacuums exactly the hostile-named table and runs nothing else', async () => {
    for (const name of names) {
      const e = estimateOf('public', name, 'table');
      const before = await admin.query<{ vacuum_count: string }>(
        'SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = $1',
        [e.oid],
      );
      const content = fixDocument(target(srv(), e), 'vacuum').content;
      const echoed = await runPsql(content);
      assert.deepEqual(echoed, [statementOf(content), 'VACUUM'], `psql sent one VACUUM for ${JSON.stringify(name)}`);
      assert.match(echoed[0], /^VACUUM \(VERBOSE, ANALYZE\) "public"\.(U&)?"[^\n]*";$/);
      await assertNothingElseRan(`vacuum of ${JSON.stringify(name)}`);
      let count = Number(before.rows[0].vacuum_count);
      for (let i = 0; i < 50 && count === Number(before.rows[0].vacuum_count); i++) {
        await new Promise((r) => setTimeout(r, 100));
        count = Number(
          (
            await admin.query<{ vacuum_count: string }>(
              'SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = $1',
              [e.oid],
            )
          ).rows[0].vacuum_count,
        );
      }
      assert.equal(count, Number(before.rows[0].vacuum_count) + 1, `${JSON.stringify(name)} was vacuumed once`);
    }
  });

  it('a REINDEX document rebuilds exactly the hostile-named index and runs nothing else', async () => {
    const storage = async (name: string) =>
      (
        await admin.query<{ f: string }>(
          `SELECT c.oid::text || '/' || c.relfilenode::text AS f
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
          [indexSchema, name],
        )
      ).rows.map((r) => r.f);
    for (const name of names) {
      const e = estimateOf(indexSchema, name, 'index');
      const before = await storage(name);
      const content = fixDocument(target(srv(), e), 'reindex').content;
      const echoed = await runPsql(content);
      assert.deepEqual(echoed, [statementOf(content), 'REINDEX'], `psql sent one REINDEX for ${JSON.stringify(name)}`);
      assert.match(echoed[0], /^REINDEX INDEX CONCURRENTLY (U&)?"[^\n]*"\.(U&)?"[^\n]*";$/);
      await assertNothingElseRan(`reindex of ${JSON.stringify(name)}`);
      const after = await storage(name);
      assert.equal(after.length, 1, `one index named ${JSON.stringify(name)} after the rebuild`);
      assert.notDeepEqual(after, before, `${JSON.stringify(name)} was rebuilt (new storage)`);
    }
  });

  it('the shared_preload_libraries fix sets exactly the listed libraries, with standard_conforming_strings on or off', async () => {
    const fileSetting = async () =>
      (
        await admin.query<{ setting: string }>(
          "SELECT setting FROM pg_file_settings WHERE name = 'shared_preload_libraries' AND sourcefile LIKE '%postgresql.auto.conf'",
        )
      ).rows.map((r) => r.setting);
    // what ALTER SYSTEM writes for these libraries, by the server's own quoting (quote_ident, as flatten_set_variable_args)
    const written = async (libraries: string[]) =>
      (
        await admin.query<{ v: string }>(
          "SELECT string_agg(quote_ident(l), ', ' ORDER BY o) AS v FROM unnest($1::text[]) WITH ORDINALITY AS u(l, o)",
          [libraries],
        )
      ).rows[0].v;
    try {
      for (const name of names) {
        // the setting as the server shows it: a list whose elements are double-quoted where needed
        const content = preloadFix(`auto_explain, "${name.replace(/"/g, '""')}"`);
        const libraries = [
          ...new Set(['auto_explain', name].filter((l) => l !== 'pg_stat_statements')),
          'pg_stat_statements',
        ];
        for (const strings of ['on', 'off']) {
          const what = `preload fix for ${JSON.stringify(name)}, standard_conforming_strings ${strings}`;
          const env = { PGOPTIONS: `-c standard_conforming_strings=${strings}` };
          if (name.includes('\n')) {
            // the server refuses a line break in any ALTER SYSTEM value; psql stops there, and nothing else ran
            await assert.rejects(runPsql(content, env), /must not contain a newline/, what);
            await assertNothingElseRan(what);
            continue;
          }
          const echoed = await runPsql(content, env);
          assert.deepEqual(
            echoed,
            [
              content.split('\n')[0],
              'ALTER SYSTEM',
              'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
              'CREATE EXTENSION',
            ],
            what,
          );
          await assertNothingElseRan(what);
          assert.deepEqual(await fileSetting(), [await written(libraries)], `${what}: the setting written`);
        }
      }
    } finally {
      await admin.query('ALTER SYSTEM RESET shared_preload_libraries');
    }
  });
});

describe('generated pg_repack documents run for real under sh and bash', function () {
  this.timeout(120_000);
  let work: string;
  let cwd: string;

  before(() => {
    work = tempDir('repack-docs');
    cwd = tempDir('repack-docs-cwd');
  });

  after(() => {
    for (const dir of [work, cwd]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes exactly repackArgs to pg_repack for every hostile name, and runs nothing else', async () => {
    // pg_repack is not installed for PostgreSQL 18 here, and this test checks what the shell passes, not what
    // pg_repack does: a stand-in named pg_repack, first on PATH, records the argv it received.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'pg_repack'), '#!/bin/sh\nprintf \'%s\\0\' "$@" > "$PGOPS_ARGV_FILE"\n', {
      mode: 0o755,
    });
    const argvFile = path.join(work, 'argv');
    const file = path.join(work, 'fix.sh');
    for (const name of names) {
      const targets: FixTarget[] = [
        { schema: 'public', name, kind: 'table', database: name, host: '127.0.0.1', port: 5432, user: name },
        { schema: indexSchema, name, kind: 'index', database: 'fix_docs', host: name, port: 5432, user: 'postgres' },
      ];
      for (const t of targets) {
        fs.writeFileSync(file, fixDocument(t, 'repack', 30).content);
        for (const shell of shells) {
          const what = `${shell}, ${t.kind} ${JSON.stringify(name)}`;
          await run(shell, ['-n', file]);
          fs.rmSync(argvFile, { force: true });
          const out = await run(shell, [file], {
            cwd,
            env: { PATH: `${bin}:/usr/bin:/bin`, PGOPS_ARGV_FILE: argvFile, HOME: cwd },
            timeout: 10_000,
          });
          assert.equal(`${out.stdout}${out.stderr}`, '', `${what}: nothing printed`);
          assert.deepEqual(
            fs.readFileSync(argvFile, 'utf8').split('\0').slice(0, -1),
            repackArgs(t, 30),
            `${what}: pg_repack's argv`,
          );
          assert.deepEqual(fs.readdirSync(cwd), [], `${what}: nothing was written in the working directory`);
        }
      }
    }
  });
});
