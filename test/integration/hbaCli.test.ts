import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { forEachServer } from '../support/servers';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), env: {}, cwd: process.cwd() };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

forEachServer('pgops hba check --conn (rules from the server)', (srv, major) => {
  const attempt = ['--type', 'host', '--address', '127.0.0.1', '--database', 'postgres', '--user', 'someone', '--json'];

  it('gives the same line and method from pg_hba_file_rules as from the file, and says where the rules came from', async () => {
    // Over the Unix socket, where the test servers trust local users, so no password is involved.
    const conn = `host=${srv().socketDir} port=${srv().port} user=postgres dbname=postgres`;
    const viaServer = await run(['hba', 'check', '--conn', conn, ...attempt]);
    const viaFile = await run([
      'hba',
      'check',
      '--file',
      path.join(srv().layout.dataDir, 'pg_hba.conf'),
      '--pg-version',
      String(major),
      ...attempt,
    ]);
    assert.equal(viaServer.code, 0, viaServer.err);
    assert.equal(viaFile.code, 0, viaFile.err);
    const s = JSON.parse(viaServer.out) as { line: number; method: string; source: string; file: string | null };
    const f = JSON.parse(viaFile.out) as { line: number; method: string; source: string };
    assert.deepEqual([s.line, s.method], [f.line, f.method]);
    assert.equal(s.method, 'scram-sha-256');
    assert.match(s.source, new RegExp(`pg_hba_file_rules view \\(PostgreSQL ${major};`));
    assert.match(f.source, /local file .*pg_hba\.conf/);
    assert.equal(s.file, null);
  });

  it('refuses --file together with --conn (exit 2)', async () => {
    assert.equal((await run(['hba', 'check', '--conn', 'x', '--file', 'y', ...attempt])).code, 2);
  });
});
