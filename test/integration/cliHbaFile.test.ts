import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer, tempDir } from '../support/servers';

/** The server's pg_hba.conf; the user's local copy is this text, so its line numbers are the server's. */
const hba = [
  '# TYPE  DATABASE  USER     ADDRESS       METHOD',
  'local   all       postgres               trust',
  '',
  'host    all       blocked  127.0.0.1/32  reject',
  'host    all       all      127.0.0.1/32  scram-sha-256',
  '',
].join('\n');

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

for (const binaries of serverMatrix()) {
  describe(`conn: pgops conn test --hba-file explains a refused connection from a local pg_hba.conf copy [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(90_000);
    let server: TestServer;
    let home: string;
    let copy: string;

    before(async () => {
      server = await startTestServer(binaries, { hba });
      const admin = await server.admin();
      try {
        await admin.query('CREATE ROLE blocked LOGIN');
        await admin.query("CREATE ROLE scramuser LOGIN PASSWORD 'right-password'");
      } finally {
        await admin.end();
      }
      home = tempDir('clihba');
      copy = path.join(home, 'pg_hba.copy');
      fs.writeFileSync(copy, hba);
    });

    after(async () => {
      await server?.stop();
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), env: { HOME: home }, cwd: home };
      const code = await main(argv, io);
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    const conn = (rest: string) => `host=127.0.0.1 port=${server.port} dbname=postgres ${rest}`;

    it('names the reject line of the copy (line number, method, next step); without the flag there is no rule to name', async () => {
      const r = await run(['conn', 'test', '--conn', conn('user=blocked'), '--hba-file', copy]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        /pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "blocked"/,
        "the server's own words come first",
      );
      assert.match(
        r.err,
        new RegExp(
          `The server uses line 4 of ${escapeRe(copy)} \\("host +all +blocked +127\\.0\\.0\\.1/32 +reject"\\) .*: method reject`,
        ),
      );
      assert.match(r.err, new RegExp(`pg_hba rules: the local copy ${escapeRe(copy)}`));
      const bare = await run(['conn', 'test', '--conn', conn('user=blocked')]);
      assert.equal(bare.code, 1);
      assert.doesNotMatch(bare.err, /line 4|local copy/);
    });

    it('names the scram-sha-256 line for a wrong password, with the copy given as ~/ (and never prints the password)', async () => {
      const r = await run([
        'conn',
        'test',
        '--conn',
        conn('user=scramuser password=wrong-password'),
        '--hba-file',
        '~/pg_hba.copy',
      ]);
      assert.equal(r.code, 1);
      assert.match(r.err, /password authentication failed for user "scramuser"/);
      assert.match(r.err, /line 5 of .*pg_hba\.copy .*: method scram-sha-256/);
      assert.ok(!r.err.includes('wrong-password'));
      const ok = await run([
        'conn',
        'test',
        '--conn',
        conn('user=scramuser password=right-password'),
        '--hba-file',
        copy,
      ]);
      assert.equal(ok.code, 0, ok.err);
      assert.match(ok.out, /Session user: scramuser/);
    });

    it('works the same on the other --conn commands (stats, slots, bloat, waits, bench)', async () => {
      for (const argv of [
        ['stats'],
        ['slots'],
        ['bloat'],
        ['waits', '--seconds', '1'],
        ['bench', '--clients', '1', '--time', '1'],
      ]) {
        const r = await run([...argv, '--conn', conn('user=blocked'), '--hba-file', copy]);
        assert.equal(r.code, 1, `${argv[0]}: ${r.err}`);
        assert.match(r.err, /line 4 of .*: method reject/, `${argv[0]} names the copy's line`);
      }
    });

    it('refuses a copy it cannot read, naming the file, before connecting', async () => {
      const missing = path.join(home, 'no-such-hba.conf');
      const r = await run(['conn', 'test', '--conn', conn('user=blocked'), '--hba-file', missing]);
      assert.equal(r.code, 1);
      assert.match(
        r.err,
        new RegExp(
          `Cannot use the pg_hba.conf copy: could not open file "${escapeRe(missing)}": No such file or directory`,
        ),
      );
      assert.doesNotMatch(r.err, /rejects connection/, 'no connection was attempted');
    });
  });
}
