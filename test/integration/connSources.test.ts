import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCliSession } from '../../src/cli/conn';
import type { CliIo } from '../../src/cli/command';
import { connectResolved } from '../../src/core/conn/connect';
import type { ConnectOptions } from '../../src/core/conn/connect';
import { CommandCredential } from '../../src/core/conn/credentialCommand';
import { resolveConnection } from '../../src/core/conn/resolve';
import { describeError, PgOpsError } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import { forEachServer } from '../support/servers';
import { isolatedContext } from './connSupport';

/** A logger that keeps every line, so a test can check that no secret was written. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, trace: rec('trace'), debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

const escapePgpass = (s: string) => s.replace(/[:\\]/g, '\\$&');

forEachServer('conn: service files, pgpass, environment and password commands', (srv) => {
  let ctx: ReturnType<typeof isolatedContext>;
  let serviceFile: string;
  let pgpass: string;

  beforeEach(() => {
    ctx = isolatedContext();
    serviceFile = path.join(ctx.home, 'services.conf');
    fs.writeFileSync(
      serviceFile,
      `# team services\n[reporting]\nhost=127.0.0.1\nport=${srv().port}\nuser=postgres\ndbname=template1\nsslmode=disable\n`,
    );
    pgpass = path.join(ctx.home, 'pgpass');
    fs.writeFileSync(
      pgpass,
      `# hosts\notherhost:*:*:*:nope\n127.0.0.1:${srv().port}:*:postgres:${escapePgpass(srv().password)}\n`,
      { mode: 0o600 },
    );
  });

  afterEach(() => fs.rmSync(ctx.home, { recursive: true, force: true }));

  const connect = async (input: string, env: Record<string, string>, opts: ConnectOptions = {}) => {
    const c = await connectResolved(resolveConnection(input, { ...ctx, env: { ...ctx.env, ...env } }), opts);
    const row = (await c.client.query<{ db: string; u: string }>('SELECT current_database() AS db, current_user AS u'))
      .rows[0];
    await c.client.end();
    return { ...c, ...row };
  };

  it('service=NAME from PGSERVICEFILE plus the password from PGPASSFILE', async () => {
    const c = await connect('service=reporting', { PGSERVICEFILE: serviceFile, PGPASSFILE: pgpass });
    assert.deepEqual([c.db, c.u], ['template1', 'postgres']);
    assert.equal(c.info.passwordSource, `${pgpass} line 3`);
    assert.equal(c.info.authMethod, 'scram-sha-256');
  });

  it('PGSERVICE names the service; explicit keywords beat the service, which beats PG* variables', async () => {
    const c = await connect('dbname=postgres', {
      PGSERVICE: 'reporting',
      PGSERVICEFILE: serviceFile,
      PGPASSFILE: pgpass,
      PGPORT: '1',
      PGUSER: 'nobody',
    });
    assert.deepEqual([c.db, c.u], ['postgres', 'postgres']);
  });

  it('~/.pg_service.conf and ~/.pgpass are found in the home directory', async () => {
    fs.copyFileSync(serviceFile, path.join(ctx.home, '.pg_service.conf'));
    fs.copyFileSync(pgpass, path.join(ctx.home, '.pgpass'));
    fs.chmodSync(path.join(ctx.home, '.pgpass'), 0o600);
    const c = await connect('service=reporting', {});
    assert.equal(c.db, 'template1');
    assert.equal(c.info.passwordSource, `${path.join(ctx.home, '.pgpass')} line 3`);
  });

  it('an unknown service names every file searched', () => {
    assert.throws(
      () => resolveConnection('service=nosuch', { ...ctx, env: { ...ctx.env, PGSERVICEFILE: serviceFile } }),
      (e: unknown) =>
        PgOpsError.is(e, 'service') &&
        e.message.includes('"nosuch"') &&
        e.message.includes(serviceFile) &&
        e.message.includes(path.join(ctx.sysconfDir, 'pg_service.conf')) &&
        !!e.hint,
    );
  });

  it("a pgpass readable by others is ignored with libpq's warning, and the failure names the file and the fix", async () => {
    fs.chmodSync(pgpass, 0o644);
    const logger = recordingLogger();
    await assert.rejects(
      connect('service=reporting', { PGSERVICEFILE: serviceFile, PGPASSFILE: pgpass }, { logger }),
      (e: unknown) =>
        PgOpsError.is(e, 'pgpass-permissions') && e.message.includes(pgpass) && /chmod 0600/.test(e.hint ?? ''),
    );
    assert.ok(
      logger.lines.some(
        (l) => l.startsWith('warn') && l.includes(`password file "${pgpass}" has group or world access`),
      ),
      logger.lines.join('\n'),
    );
  });

  it('without any password source the error says where a password can come from', async () => {
    await assert.rejects(
      connect(`host=127.0.0.1 port=${srv().port} user=postgres sslmode=disable`, {}),
      (e: unknown) => PgOpsError.is(e, 'conn-no-password') && /pgpass/.test(e.hint ?? ''),
    );
  });

  it('a password command is run only when the server asks, and re-run once when the server rejects its credential', async () => {
    const state = path.join(ctx.home, 'cmd-runs');
    // First run prints a stale password, later runs the right one: like an expired cloud token.
    const script = [
      "const fs=require('fs');",
      "const n=fs.existsSync(process.argv[1])?Number(fs.readFileSync(process.argv[1],'utf8')):0;",
      'fs.writeFileSync(process.argv[1],String(n+1));',
      "process.stdout.write(n===0?'stale-token\\n':process.argv[2]+'\\n');",
    ].join('');
    const credential = new CommandCredential({ argv: [process.execPath, '-e', script, state, srv().password] });
    const logger = recordingLogger();
    const c = await connect(
      `host=127.0.0.1 port=${srv().port} user=postgres sslmode=disable`,
      {},
      { credential, logger },
    );
    assert.equal(c.u, 'postgres');
    assert.equal(c.info.passwordSource, 'password command');
    assert.equal(credential.runs, 2);
    const again = await connect(`host=127.0.0.1 port=${srv().port} user=postgres sslmode=disable`, {}, { credential });
    assert.equal(again.u, 'postgres');
    assert.equal(credential.runs, 2, 'the fresh credential is cached while valid');
    const peer = await connect(
      `host=${srv().socketDir} port=${srv().port} user=postgres`,
      {},
      { credential: new CommandCredential({ argv: ['/nonexistent/never-run'] }) },
    );
    assert.equal(peer.u, 'postgres', 'trust over the socket never asks, so the command never runs');
  });

  it('a failing password command gives its program name and exit code, not its output', async () => {
    const credential = new CommandCredential({
      argv: [
        process.execPath,
        '-e',
        'process.stdout.write("leaked-stdout-value");process.stderr.write("vault: permission denied\\n");process.exit(3)',
      ],
    });
    await assert.rejects(
      connect(`host=127.0.0.1 port=${srv().port} user=postgres sslmode=disable`, {}, { credential }),
      (e: unknown) =>
        PgOpsError.is(e) &&
        /exit 3/.test(e.message) &&
        /permission denied/.test(e.message) &&
        !e.message.includes('leaked-stdout-value'),
    );
  });

  it("the CLI --conn resolves the same way and prints libpq's warnings on stderr", async () => {
    const err: string[] = [];
    const io: CliIo = {
      out: () => undefined,
      err: (t) => void err.push(t),
      env: { HOME: ctx.home, PGSERVICEFILE: serviceFile, PGPASSFILE: pgpass },
      cwd: ctx.home,
    };
    const s = await openCliSession('service=reporting application_name=cli-test', io);
    try {
      const r = await s.client.query(
        "SELECT current_database() AS db, current_setting('application_name') AS app, current_setting('default_transaction_read_only') AS ro",
      );
      assert.deepEqual(r.rows[0], { db: 'template1', app: 'cli-test', ro: 'on' });
      assert.equal(s.target.port, srv().port);
    } finally {
      await s.client.end();
    }
    fs.chmodSync(pgpass, 0o640);
    await assert.rejects(openCliSession('service=reporting', io), (e: unknown) =>
      PgOpsError.is(e, 'pgpass-permissions'),
    );
    assert.ok(
      err.some((l) => l.startsWith('WARNING: password file') && l.includes(pgpass)),
      err.join('\n'),
    );
  });

  it('no secret appears in errors, hints, warnings or logs, whatever fails', async () => {
    const secrets = [srv().password, 'Wrong-Secret-123', 'stale-token-456'];
    const logger = recordingLogger();
    const texts: string[] = [];
    const attempt = async (input: string, env: Record<string, string>, opts: ConnectOptions = {}) => {
      try {
        const c = await connect(input, env, { logger, ...opts });
        texts.push(JSON.stringify(c.info));
      } catch (e) {
        texts.push(describeError(e), (e as Error).stack ?? '');
      }
    };
    const base = `host=127.0.0.1 port=${srv().port} user=postgres dbname=postgres`;
    await attempt(`${base} password=Wrong-Secret-123`, {});
    await attempt(`postgresql://postgres:Wrong-Secret-123@127.0.0.1:${srv().port}/postgres?sslmode=require`, {});
    await attempt(`postgresql://postgres:Wrong-Secret-123@127.0.0.1:${srv().port}/postgres?sslmode=bogus`, {});
    await attempt(`postgresql://postgres:Wrong-Secret-123@127.0.0.1:${srv().port}/postgres?nosuch=1`, {});
    await attempt(base, { PGPASSWORD: 'Wrong-Secret-123' });
    await attempt(base, { PGPASSFILE: pgpass });
    await attempt(
      `${base} sslmode=disable`,
      {},
      { credential: new CommandCredential({ argv: [process.execPath, '-e', 'console.log("stale-token-456")'] }) },
    );
    fs.chmodSync(pgpass, 0o666);
    await attempt(base, { PGPASSFILE: pgpass });
    const all = [...texts, ...logger.lines].join('\n');
    assert.ok(texts.length >= 8 && logger.lines.length > 0);
    for (const s of secrets)
      assert.ok(!all.includes(s), `a secret leaked into:\n${all.split('\n').find((l) => l.includes(s))}`);
  });
});
