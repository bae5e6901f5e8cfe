/**
 * Generated fix documents are inert for any identifier: whatever a table, index, schema, database,
 * host or user is called, the SQL document holds exactly one statement on exactly that relation
 * and comments stay comments; the shell document runs exactly one pg_repack with exactly
 * repackArgs(...), with nothing for the shell to expand. Read by scanners that follow psql's and
 * the shell's rules (test/support/docScan.ts); the integration tier runs the same documents with the
 * real psql and sh (test/integration/fixDocumentRun.test.ts).
 */
import * as assert from 'node:assert/strict';
import type { FixTarget } from '../../src/core/diag/bloatFix';
import { fixDocument, repackArgs } from '../../src/core/diag/bloatFix';
import { preloadFix } from '../../src/core/diag/statementHealth';
import type { SqlToken } from '../support/docScan';
import { scanPsql, scanSh } from '../support/docScan';
import { generatedNames, hostileNames } from '../support/hostileNames';

const names = [...hostileNames, ...generatedNames(400), 'plain', 'Mixed Case', 'x'.repeat(300)];

function render(tokens: SqlToken[]): string {
  return tokens
    .map((t) =>
      t.kind === 'ident' ? `<${JSON.stringify(t.name)}>` : t.kind === 'string' ? `'${JSON.stringify(t.text)}'` : t.text,
    )
    .join(' ');
}

function checkSql(content: string, expected: string, what: string): void {
  const scan = scanPsql(content);
  assert.deepEqual(
    scan.interpreted,
    [],
    `${what}: psql would interpret ${JSON.stringify(scan.interpreted)} in\n${content}`,
  );
  assert.deepEqual(scan.trailing, [], `${what}: text after the statement in\n${content}`);
  assert.deepEqual(scan.statements.map(render), [expected], `${what}: the statements psql would send from\n${content}`);
  for (const c of scan.comments)
    assert.match(c, /^-- [\x20-\x7e]*$/, `${what}: a comment of our own words, on its line`);
  const lines = content.split(/\r\n|\r|\n/);
  assert.equal(
    lines.filter((l) => !l.startsWith('-- ')).filter(Boolean).length,
    1,
    `${what}: one line that is not a comment`,
  );
}

function checkShell(content: string, t: FixTarget, waitTimeout: number, what: string): void {
  const scan = scanSh(content);
  assert.deepEqual(
    scan.interpreted,
    [],
    `${what}: the shell would interpret ${JSON.stringify(scan.interpreted)} in\n${content}`,
  );
  assert.deepEqual(
    scan.commands,
    [['pg_repack', ...repackArgs(t, waitTimeout)]],
    `${what}: the one command of\n${content}`,
  );
  assert.equal(scan.comments[0], '#!/bin/sh');
}

describe('generated fix documents are inert for any identifier', () => {
  const base: FixTarget = {
    schema: 'public',
    name: 'orders',
    kind: 'table',
    database: 'shop',
    host: 'db1',
    port: 5432,
    user: 'ops',
  };
  const qualified = (t: FixTarget) => `<${JSON.stringify(t.schema)}> . <${JSON.stringify(t.name)}>`;

  it(`VACUUM documents hold one VACUUM of the named table, for ${names.length} hostile table and schema names`, () => {
    for (const name of names) {
      for (const t of [
        { ...base, name },
        { ...base, schema: name },
      ]) {
        const what = `vacuum of ${JSON.stringify(t.schema)}.${JSON.stringify(t.name)}`;
        checkSql(fixDocument(t, 'vacuum').content, `VACUUM ( VERBOSE , ANALYZE ) ${qualified(t)}`, what);
      }
    }
  });

  it('REINDEX documents hold one REINDEX INDEX CONCURRENTLY of the named index, for every hostile name', () => {
    for (const name of names) {
      for (const t of [
        { ...base, kind: 'index' as const, name },
        { ...base, kind: 'index' as const, schema: name },
      ]) {
        checkSql(
          fixDocument(t, 'reindex').content,
          `REINDEX INDEX CONCURRENTLY ${qualified(t)}`,
          `reindex of ${JSON.stringify(t.name)}`,
        );
      }
    }
  });

  it('SQL documents are printable ASCII: non-ASCII and control characters of names are U& escapes', () => {
    for (const name of names) {
      for (const kind of ['vacuum', 'reindex'] as const) {
        const content = fixDocument({ ...base, kind: kind === 'vacuum' ? 'table' : 'index', name }, kind).content;
        assert.match(content, /^[\x20-\x7e\n]*$/, `${kind} of ${JSON.stringify(name)}:\n${content}`);
      }
    }
    assert.match(
      fixDocument({ ...base, name: 'caf\u00E9 \\ "x"' }, 'vacuum').content,
      /^VACUUM \(VERBOSE, ANALYZE\) "public"\.U&"caf\\00E9 \\\\ ""x"""; *$/m,
    );
    assert.match(
      fixDocument({ ...base, name: 'a\\b' }, 'vacuum').content,
      /^VACUUM \(VERBOSE, ANALYZE\) "public"\."a\\b";$/m,
    );
  });

  it('pg_repack documents run one pg_repack with exactly repackArgs, for hostile names, databases, hosts and users', () => {
    for (const name of names) {
      const targets: FixTarget[] = [
        { ...base, name },
        { ...base, kind: 'index', schema: name },
        { ...base, database: name },
        { ...base, host: name, user: name },
        { ...base, host: undefined, port: undefined, user: undefined, name },
      ];
      for (const t of targets)
        checkShell(fixDocument(t, 'repack', 30).content, t, 30, `repack of ${JSON.stringify(name)}`);
    }
  });

  it('refuses a pg_repack wait timeout that is not a whole number of seconds, naming the setting', () => {
    // settings arrive untyped at run time: a workspace can set a string where the schema says number
    for (const bad of ['60\ntouch pwned', '60; touch pwned', 1.5, -1, 0, Number.NaN, Infinity]) {
      assert.throws(
        () => fixDocument(base, 'repack', bad as number),
        (err: Error & { hint?: string }) => {
          assert.match(err.message, /pgops\.bloat\.repackWaitTimeout/);
          assert.match(err.hint ?? '', /whole number/);
          return true;
        },
        `wait timeout ${JSON.stringify(bad)}`,
      );
    }
    checkShell(fixDocument(base, 'repack', 1).content, base, 1, 'wait timeout 1');
  });

  it('the shared_preload_libraries fix sets exactly the listed libraries, with standard_conforming_strings on or off', () => {
    for (const name of names) {
      // the setting as the server shows it: a list whose elements are double-quoted where needed
      const content = preloadFix(`auto_explain, "${name.replace(/"/g, '""')}"`);
      const libraries = [
        ...new Set(['auto_explain', name].filter((l) => l !== 'pg_stat_statements')),
        'pg_stat_statements',
      ];
      for (const standardStrings of [true, false]) {
        const scan = scanPsql(content, standardStrings);
        const what = `preload fix for ${JSON.stringify(name)} (standard_conforming_strings ${standardStrings ? 'on' : 'off'})`;
        assert.deepEqual(scan.interpreted, [], `${what}: psql would interpret ${JSON.stringify(scan.interpreted)}`);
        assert.deepEqual(
          scan.statements.map(render),
          [
            `ALTER SYSTEM SET shared_preload_libraries = ${libraries.map((l) => `'${JSON.stringify(l)}'`).join(' , ')}`,
            'CREATE EXTENSION IF NOT EXISTS pg_stat_statements',
          ],
          `${what}:\n${content}`,
        );
      }
      assert.match(content, /^[\x20-\x7e\n]*$/, `preload fix for ${JSON.stringify(name)} is printable ASCII`);
    }
  });
});
