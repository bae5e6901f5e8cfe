import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandCredential, parseCommandOutput } from '../../src/core/conn/credentialCommand';
import { resolveConnection } from '../../src/core/conn/resolve';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { lookupPgpass } from '../../src/core/conn/pgpass';
import { readServiceGroup } from '../../src/core/conn/serviceFile';
import { sslAttempts } from '../../src/core/conn/tls';
import { PgOpsError } from '../../src/core/errors';

describe('conn: resolution beyond libpq 15 (newer keywords, TLS plans, credentials)', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-conn-unit-'));
  const ctx: ResolveContext = {
    env: {},
    homeDir: home,
    osUser: 'osuser',
    defaultSocketDir: '/run/pg',
    sysconfDir: path.join(home, 'etc'),
  };
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it('fills libpq defaults: socket directory, port 5432, OS user, dbname = user, sslmode prefer', () => {
    const r = resolveConnection('', ctx);
    assert.deepEqual(r.hosts, [{ host: '/run/pg', hostaddr: undefined, port: 5432, socket: true }]);
    assert.deepEqual(
      [r.user, r.dbname, r.sslmode, r.targetSessionAttrs, r.loadBalance],
      ['osuser', 'osuser', 'prefer', 'any', false],
    );
    assert.equal(r.sources.user, 'default');
  });

  it('reads PGLOADBALANCEHOSTS and PGTARGETSESSIONATTRS, and checks load_balance_hosts values', () => {
    const r = resolveConnection('host=a,b', {
      ...ctx,
      env: { PGLOADBALANCEHOSTS: 'random', PGTARGETSESSIONATTRS: 'prefer-standby' },
    });
    assert.deepEqual(
      [r.loadBalance, r.targetSessionAttrs, r.sources.load_balance_hosts],
      [true, 'prefer-standby', 'env'],
    );
    assert.throws(
      () => resolveConnection('host=a load_balance_hosts=sometimes', ctx),
      /invalid load_balance_hosts value: "sometimes"/,
    );
  });

  it('treats connect_timeout like libpq: 0 or negative waits indefinitely, 1 means 2 seconds', () => {
    assert.equal(resolveConnection('connect_timeout=0', ctx).connectTimeoutMs, undefined);
    assert.equal(resolveConnection('connect_timeout=1', ctx).connectTimeoutMs, 2000);
    assert.equal(resolveConnection('connect_timeout=7', ctx).connectTimeoutMs, 7000);
  });

  it('orders TLS attempts by sslmode, never TLS on a Unix socket', () => {
    const kinds = (conninfo: string) =>
      sslAttempts(resolveConnection(conninfo, ctx), resolveConnection(conninfo, ctx).hosts[0]).map((a) =>
        a.ssl === false ? 'plain' : `tls:${a.verify}`,
      );
    assert.deepEqual(kinds('host=h sslmode=disable'), ['plain']);
    assert.deepEqual(kinds('host=h sslmode=allow'), ['plain', 'tls:none']);
    assert.deepEqual(kinds('host=h sslmode=prefer'), ['tls:none', 'plain']);
    assert.deepEqual(kinds('host=h sslmode=require'), ['tls:none']);
    assert.deepEqual(kinds('host=/tmp sslmode=verify-full'), ['plain']);
    assert.deepEqual(
      kinds('host=h sslrootcert=system'),
      ['tls:full'],
      'sslrootcert=system without sslmode means verify-full',
    );
    assert.throws(
      () => kinds('host=h sslrootcert=system sslmode=require'),
      (e: unknown) => PgOpsError.is(e, 'tls') && /weak sslmode "require"/.test(e.message),
    );
  });

  it('reads the first section only, refuses nested services and unknown keywords with file and line', () => {
    const f = path.join(home, 'svc.conf');
    fs.writeFileSync(f, '[a]\nhost=x\n[b]\nservice=a\n[c]\nhots=1\n');
    assert.deepEqual(readServiceGroup(f, 'a'), { host: 'x' });
    assert.equal(readServiceGroup(f, 'zzz'), undefined);
    assert.throws(
      () => readServiceGroup(f, 'b'),
      new RegExp(`nested "service" specifications not supported in service file "${f}", line 4`),
    );
    assert.throws(() => readServiceGroup(f, 'c'), new RegExp(`syntax error in service file "${f}", line 6`));
  });

  it('pgpass: wildcards, escapes, first match wins, group-readable files ignored', () => {
    const f = path.join(home, 'pgpass');
    fs.writeFileSync(f, 'h:5432:db:u:first\n*:*:*:u:second\nh\\:x:*:*:*:colon-host\n', { mode: 0o600 });
    fs.chmodSync(f, 0o600);
    assert.deepEqual(lookupPgpass(f, { host: 'h', port: '5432', dbname: 'db', user: 'u' }), {
      password: 'first',
      line: 1,
    });
    assert.deepEqual(lookupPgpass(f, { host: 'other', port: '1', dbname: 'x', user: 'u' }), {
      password: 'second',
      line: 2,
    });
    assert.deepEqual(lookupPgpass(f, { host: 'h:x', port: '1', dbname: 'x', user: 'v' }), {
      password: 'colon-host',
      line: 3,
    });
    fs.chmodSync(f, 0o640);
    const ignored = lookupPgpass(f, { host: 'h', port: '5432', dbname: 'db', user: 'u' });
    assert.equal(ignored.password, undefined);
    assert.match(ignored.warning ?? '', /has group or world access; permissions should be u=rw \(0600\) or less/);
  });

  it("reads a password command's text or JSON output, with expiry", () => {
    assert.deepEqual(parseCommandOutput('s3cret\nignored\n', 0), { secret: 's3cret' });
    assert.deepEqual(parseCommandOutput('{"token":"t","expires_in":900}', 1000), { secret: 't', expiresAt: 901_000 });
    assert.deepEqual(parseCommandOutput('{"access_token":"a","expires_at":"2030-01-01T00:00:00Z"}', 0), {
      secret: 'a',
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
    });
    assert.equal(parseCommandOutput('\n', 0), undefined);
    assert.equal(parseCommandOutput('{"nothing":1}', 0), undefined);
  });

  it('re-runs a password command once its credential expires (a real child process, a test clock)', async () => {
    let now = 0;
    const cred = new CommandCredential(
      { argv: [process.execPath, '-e', 'console.log(JSON.stringify({token: "tok-" + Date.now(), expires_in: 60}))'] },
      () => now,
    );
    const first = await cred.get();
    assert.equal(await cred.get(), first);
    now += 20_000;
    assert.equal(cred.runs, 1, 'still valid 40 s before expiry');
    now += 20_000;
    await cred.get();
    assert.equal(cred.runs, 2, 'renewed within 30 s of expiry');
    assert.throws(
      () => new CommandCredential({ argv: [] }),
      (e: unknown) => PgOpsError.is(e, 'credential-command'),
    );
  });
});
