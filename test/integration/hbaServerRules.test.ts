import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { matchHbaRule, parseHbaFile, readServerHbaRules } from '../../src/core/auth/hba';
import { PgOpsError } from '../../src/core/errors';
import { forEachServer } from '../support/servers';

forEachServer('hba rules from the server views', (srv, major) => {
  const role = `pgops_hba_reader_${crypto.randomBytes(4).toString('hex')}`;

  before(async () => {
    const admin = await srv().admin();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN`);
    } finally {
      await admin.end();
    }
  });

  after(async () => {
    const admin = await srv().admin();
    try {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    } finally {
      await admin.end();
    }
  });

  const asRole = async <T>(fn: (c: Client) => Promise<T>): Promise<T> => {
    // Over the Unix socket, where the test servers trust local users: the role needs no password.
    const c = new Client({ host: srv().socketDir, port: srv().port, user: role, database: 'postgres' });
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  };

  it('reads pg_hba_file_rules as superuser: the same lines, methods and answers as parsing the file', async () => {
    const admin = await srv().admin();
    try {
      const fromServer = await readServerHbaRules(admin, 'the test server');
      assert.equal(fromServer.source.kind, 'server');
      assert.equal(fromServer.source.major, major);
      assert.match(fromServer.source.description, /pg_hba_file_rules view/);
      const file = path.join(srv().layout.dataDir, 'pg_hba.conf');
      const fromFile = parseHbaFile(file, { traits: { major } });
      assert.deepEqual(
        fromServer.rules.map((r) => [r.source.file, r.source.line, r.type, r.method]),
        fromFile.rules.map((r) => [r.source.file, r.source.line, r.type, r.method]),
      );
      for (const attempt of [
        { connection: 'host' as const, address: '127.0.0.1', database: 'postgres', user: 'x' },
        { connection: 'local' as const, database: 'postgres', user: 'x' },
        {
          connection: 'host' as const,
          address: '127.0.0.1',
          database: 'x',
          user: 'x',
          replication: 'physical' as const,
        },
        { connection: 'host' as const, address: '10.0.0.1', database: 'postgres', user: 'x' },
      ]) {
        const a = matchHbaRule(fromServer.rules, { ...attempt, memberOf: [] });
        const b = matchHbaRule(fromFile.rules, { ...attempt, memberOf: [] });
        assert.equal(
          a.kind === 'matched' ? a.rule.source.line : a.kind,
          b.kind === 'matched' ? b.rule.source.line : b.kind,
          JSON.stringify(attempt),
        );
      }
      if (major >= 15) assert.ok('rules' in fromServer.ident, 'pg_ident_file_mappings is read on 15+');
    } finally {
      await admin.end();
    }
  });

  it('a token of 10240 bytes: an error up to 15 (MAX_TOKEN), read whole from 16 — the parser says what the server says', async () => {
    // pg_hba_file_rules reads the file afresh; the server itself keeps the rules it loaded (no reload here)
    const file = path.join(srv().layout.dataDir, 'pg_hba.conf');
    const original = fs.readFileSync(file, 'utf8');
    const body = original.endsWith('\n') ? original : `${original}\n`;
    const line = body.split('\n').length;
    fs.writeFileSync(file, `${body}host all ${'é'.repeat(5_120)} 127.0.0.1/32 trust\n`);
    const admin = await srv().admin();
    try {
      const server = (
        await admin.query<{ error: string | null }>('SELECT error FROM pg_hba_file_rules WHERE line_number = $1', [
          line,
        ])
      ).rows[0]?.error;
      const parsed = parseHbaFile(file, { traits: { major } }).problems.find(
        (p) => p.line === line && p.severity === 'error',
      )?.message;
      assert.equal(parsed ?? null, server ?? null);
      assert.equal(server ?? null, major <= 15 ? 'authentication file token too long' : null);
    } finally {
      fs.writeFileSync(file, original);
      await admin.end();
    }
  });

  it('refuses a role without the grants, naming it and saying what to grant; reads after the grants', async () => {
    await assert.rejects(
      asRole((c) => readServerHbaRules(c)),
      (e: unknown) =>
        PgOpsError.is(e, 'hba-rules-not-readable') &&
        e.message.includes(role) &&
        /GRANT SELECT ON pg_hba_file_rules/.test(e.hint ?? ''),
    );
    const admin = await srv().admin();
    try {
      await admin.query(`GRANT SELECT ON pg_hba_file_rules TO ${role}`);
      await admin.query(`GRANT EXECUTE ON FUNCTION pg_hba_file_rules() TO ${role}`);
    } finally {
      await admin.end();
    }
    const read = await asRole((c) => readServerHbaRules(c));
    assert.ok(read.rules.length > 0);
    assert.ok(
      read.rules.every(
        (r) => r.source.file === (major >= 16 ? path.join(srv().layout.dataDir, 'pg_hba.conf') : 'pg_hba.conf'),
      ),
      'without pg_read_all_settings the 13–15 view gives no file name',
    );
    assert.ok('unavailable' in read.ident);
    assert.match(
      read.ident.unavailable,
      major >= 15 ? /may not read pg_ident_file_mappings/ : /no pg_ident_file_mappings view/,
    );
  });
});
