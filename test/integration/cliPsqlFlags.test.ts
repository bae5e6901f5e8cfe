/**
 * The CLI finds its server the way psql does: `--conn` may be left out when PG* variables or a service
 * say where, psql's -h -p -U -d mean what they mean in psql (a keyword written in --conn wins over them),
 * and with nothing to go on the CLI says what to give instead of guessing a default socket.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CliIo } from '../../src/cli/command';
import { main } from '../../src/cli/main';
import { forEachServer } from '../support/servers';
import { isolatedContext } from './connSupport';

forEachServer('cli: --conn is optional like psql, and psql -h -p -U -d work', (srv) => {
  let home: string;

  before(() => {
    home = isolatedContext().home;
    fs.writeFileSync(
      path.join(home, '.pg_service.conf'),
      `[ops]\nhost=127.0.0.1\nport=${srv().port}\nuser=postgres\ndbname=postgres\nsslmode=disable\n`,
    );
    fs.writeFileSync(path.join(home, '.pgpass'), `*:*:*:postgres:${srv().password.replace(/[:\\]/g, '\\$&')}\n`, {
      mode: 0o600,
    });
  });

  after(() => fs.rmSync(home, { recursive: true, force: true }));

  async function run(argv: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const out: string[] = [];
    const err: string[] = [];
    const env = { HOME: home, ...extraEnv };
    const io: CliIo = { out: (t) => void out.push(t), err: (t) => void err.push(t), env, cwd: home };
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  const endpoint = () => `postgres@127.0.0.1:${srv().port}`;
  const psqlFlags = (port: string) => ['-h', '127.0.0.1', '-p', port, '-U', 'postgres'];

  it('connects without --conn when PGSERVICE names a service', async () => {
    const r = await run(['conn', 'test'], { PGSERVICE: 'ops' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`Server: PostgreSQL ${srv().major}\\.`));
    assert.ok(r.out.includes(`Connected to: ${endpoint()}/postgres`), r.out);
  });

  it('connects without --conn from PGHOST, PGPORT and PGUSER, and a diagnostic command runs on it', async () => {
    const env = { PGHOST: '127.0.0.1', PGPORT: String(srv().port), PGUSER: 'postgres', PGSSLMODE: 'disable' };
    const r = await run(['slots', '--json'], env);
    assert.equal(r.code, 0, r.err);
    assert.ok(Array.isArray(JSON.parse(r.out)), r.out);
  });

  it("takes psql's -h -p -U -d with psql's meaning", async () => {
    const r = await run(['conn', 'test', ...psqlFlags(String(srv().port)), '-d', 'template1']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`Connected to: ${endpoint()}/template1`), r.out);
  });

  it('lets a keyword written in --conn win over a flag, as psql does with its conninfo argument', async () => {
    const r = await run(['conn', 'test', ...psqlFlags('1'), '--conn', `port=${srv().port}`]);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(`Connected to: ${endpoint()}/postgres`), r.out);
    const resolved = await run(['conn', 'resolve', '--json', '--conn', 'service=ops', '-d', 'template1']);
    assert.equal(resolved.code, 0, resolved.err);
    const j = JSON.parse(resolved.out) as { dbname: string; sources: Record<string, string> };
    assert.deepEqual([j.dbname, j.sources.dbname, j.sources.host], ['template1', 'input', 'service']);
  });

  it('says what to give, with exit code 2, when nothing names a connection', async () => {
    for (const argv of [['conn', 'test'], ['stats'], ['bloat', '--json']]) {
      const r = await run(argv, { PGPASSWORD: 'not-a-place', PGSSLMODE: 'disable' });
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /no connection given: use --conn .*-h\/-p\/-U\/-d, or set PGSERVICE, PGHOST/);
      assert.equal(r.out, '');
    }
  });

  it('still shows the usage for a lone -h, as before', async () => {
    const r = await run(['stats', '-h']);
    assert.equal(r.code, 0);
    assert.match(r.out, /^pgops stats \[--conn C\]/);
  });
});
