import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { forEachServer } from '../support/servers';
import { isolatedContext } from './connSupport';

forEachServer('conn: pgops conn resolve|test', (srv) => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    home = isolatedContext().home;
    fs.writeFileSync(
      path.join(home, '.pg_service.conf'),
      `[ops]\nhost=127.0.0.1\nport=${srv().port}\nuser=postgres\nsslmode=disable\n`,
    );
    fs.writeFileSync(path.join(home, '.pgpass'), `*:*:*:postgres:${srv().password.replace(/[:\\]/g, '\\$&')}\n`, {
      mode: 0o600,
    });
    env = { HOME: home, PGDATABASE: 'template1' };
  });

  after(() => fs.rmSync(home, { recursive: true, force: true }));

  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd: home };
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('resolve shows where each value came from and masks the password', async () => {
    const r = await run(['conn', 'resolve', '--conn', 'service=ops password=typed-secret', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { sources: Record<string, string>; params: Record<string, string>; dbname: string };
    assert.deepEqual(
      [j.sources.host, j.sources.dbname, j.sources.password, j.dbname],
      ['service', 'env', 'input', 'template1'],
    );
    assert.equal(j.params.password, '********');
    assert.ok(!r.out.includes('typed-secret'));
  });

  it('test connects and reports version, endpoint, authentication and TLS', async () => {
    const r = await run(['conn', 'test', '--conn', 'service=ops']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Server: PostgreSQL ${srv().major}\\.`));
    assert.match(r.out, /Authentication: scram-sha-256 \(password from .*\.pgpass line 1\)/);
    assert.match(r.out, /Encryption: none \(plain TCP\)/);
    assert.ok(!r.out.includes(srv().password));
  });

  it('exits 1 with one clear line for an unknown service, 2 for bad usage', async () => {
    const r = await run(['conn', 'test', '--conn', 'service=nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /definition of service "nope" not found \(searched .*\.pg_service\.conf/);
    assert.equal((await run(['conn', 'frobnicate', '--conn', 'x'])).code, 2);
  });
});
