import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connected } from '../../src/core/conn/connect';
import { connectResolved } from '../../src/core/conn/connect';
import { hbaAdvisor } from '../../src/core/conn/hbaAdvice';
import { resolveConnection } from '../../src/core/conn/resolve';
import { readServerHbaRules } from '../../src/core/auth/hba';
import { PgOpsError } from '../../src/core/errors';
import { serverRunAs } from '../../src/core/sandbox/osUser';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer, tempDir } from '../support/servers';
import { bundleTo } from '../support/bundle';
import type { TestCerts } from './connSupport';
import { isolatedContext, makeCerts, makeCrl, sslSettings } from './connSupport';

/**
 * One server per version with TLS on and a pg_hba.conf that has a line for each method under test.
 * Peer: the tests run as root, so the Unix-socket peer checks here authenticate the OS user root
 * (as role root directly, and as role alice through a pg_ident map); bob is refused because the OS
 * user is not bob. That is real peer authentication of this process, not a simulation.
 */
const hba = [
  'local     all          postgres                 trust',
  'local     all          root                     peer',
  'local     all          alice                    peer map=ops',
  'local     all          bob                      peer',
  'host      all          rejected   127.0.0.1/32  reject',
  'hostssl   all          certuser   127.0.0.1/32  cert',
  'hostnossl all          nossluser  127.0.0.1/32  scram-sha-256',
  'hostssl   all          ssluser    127.0.0.1/32  scram-sha-256',
  'host      all          scramuser,postgres 127.0.0.1/32  scram-sha-256',
  'local     all          mapped                   peer map=pgmap',
  '',
].join('\n');

const userPassword = 'Pw-for-tests:with\\specials';

for (const binaries of serverMatrix()) {
  describe(`conn: authentication methods and TLS modes [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let certs: TestCerts;
    let ctx: ReturnType<typeof isolatedContext>;
    const major = binaries.major;

    before(async () => {
      certs = makeCerts(serverRunAs());
      server = await startTestServer(binaries, {
        hba,
        ident: 'ops  root  alice\npgmap  postgres  mapped\n',
        settings: sslSettings(certs),
      });
      const admin = await server.admin();
      try {
        for (const role of ['root', 'alice', 'bob', 'mapped', 'rejected', 'certuser'])
          await admin.query(`CREATE ROLE ${role} LOGIN`);
        for (const role of ['nossluser', 'ssluser', 'scramuser'])
          await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${userPassword.replace(/'/g, "''")}'`);
      } finally {
        await admin.end();
      }
      ctx = isolatedContext();
      const escaped = userPassword.replace(/[:\\]/g, '\\$&');
      fs.writeFileSync(path.join(ctx.home, '.pgpass'), `127.0.0.1:${server.port}:*:*:${escaped}\n`, { mode: 0o600 });
    });

    after(async () => {
      await server?.stop();
      if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
      if (ctx) fs.rmSync(ctx.home, { recursive: true, force: true });
    });

    const tcp = (rest: string) => `host=127.0.0.1 port=${server.port} dbname=postgres ${rest}`;

    async function session(conninfo: string): Promise<Connected & { user: string }> {
      const c = await connectResolved(resolveConnection(conninfo, ctx));
      const user = (await c.client.query<{ u: string }>('SELECT current_user AS u')).rows[0].u;
      await c.client.end();
      return { ...c, user };
    }

    it('SCRAM over TCP with the password from ~/.pgpass, and says which method and source were used', async () => {
      const s = await session(tcp('user=scramuser sslmode=disable'));
      assert.equal(s.user, 'scramuser');
      assert.equal(s.info.authMethod, 'scram-sha-256');
      assert.equal(s.info.passwordSource, `${path.join(ctx.home, '.pgpass')} line 1`);
      assert.equal(s.info.tls.inUse, false);
    });

    it('sslmode=require encrypts without verifying; with a root certificate present it verifies the chain (verify-ca)', async () => {
      const s = await session(tcp('user=scramuser sslmode=require'));
      assert.equal(s.info.tls.inUse, true);
      assert.equal(s.info.tls.verified, 'none');
      assert.match(s.info.tls.protocol ?? '', /^TLSv1\.[23]$/);
      assert.match(s.info.authMethod, /^scram-sha-256/);
      const v = await session(tcp(`user=scramuser sslmode=require sslrootcert=${certs.caCert}`));
      assert.equal(v.info.tls.verified, 'ca');
      await assert.rejects(
        session(tcp(`user=scramuser sslmode=require sslrootcert=${certs.otherCaCert}`)),
        (e: unknown) => PgOpsError.is(e, 'conn-tls'),
      );
    });

    it('sslmode=prefer falls back to a plain connection when the TLS attempt is refused by pg_hba (hostnossl)', async () => {
      const s = await session(tcp('user=nossluser sslmode=prefer'));
      assert.equal(s.user, 'nossluser');
      assert.equal(s.info.tls.inUse, false);
      const t = await session(tcp('user=scramuser'));
      assert.equal(t.info.tls.inUse, true, 'prefer (the default) uses TLS when the server offers it');
    });

    it('sslmode=allow tries plain first and upgrades to TLS when pg_hba requires hostssl', async () => {
      const s = await session(tcp('user=ssluser sslmode=allow'));
      assert.equal(s.user, 'ssluser');
      assert.equal(s.info.tls.inUse, true);
      await assert.rejects(
        session(tcp('user=ssluser sslmode=disable')),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /no pg_hba\.conf entry/.test(e.message),
      );
    });

    it('client certificate with sslmode=verify-full: chain and host name checked, the server maps CN to the role', async () => {
      const files = `sslrootcert=${certs.caCert} sslcert=${certs.clientCert} sslkey=${certs.clientKey}`;
      const byName = await session(
        `host=localhost hostaddr=127.0.0.1 port=${server.port} dbname=postgres user=certuser sslmode=verify-full ${files}`,
      );
      assert.equal(byName.user, 'certuser');
      assert.deepEqual([byName.info.tls.inUse, byName.info.tls.verified], [true, 'full']);
      if (major >= 16) assert.equal(byName.info.authMethod, 'cert');
      const byIp = await session(tcp(`user=certuser sslmode=verify-full ${files}`));
      assert.equal(byIp.user, 'certuser', "the IP address is in the certificate's subjectAltName");
    });

    it('verify-full refuses a server whose certificate does not name the host, or is signed by another CA', async () => {
      const files = `sslcert=${certs.clientCert} sslkey=${certs.clientKey}`;
      await assert.rejects(
        session(
          `host=db.example.com hostaddr=127.0.0.1 port=${server.port} dbname=postgres user=certuser sslmode=verify-full sslrootcert=${certs.caCert} ${files}`,
        ),
        (e: unknown) => PgOpsError.is(e, 'conn-tls') && /db\.example\.com/.test(e.message),
      );
      await assert.rejects(
        session(tcp(`user=certuser sslmode=verify-full sslrootcert=${certs.otherCaCert} ${files}`)),
        (e: unknown) => PgOpsError.is(e, 'conn-tls'),
      );
    });

    it('checks the server certificate against CRLs from sslcrl and sslcrldir: revoked is refused, a clean CRL passes', async () => {
      const verify = `user=scramuser sslmode=verify-full sslrootcert=${certs.caCert}`;
      const clean = makeCrl(certs, 'clean');
      const revoked = makeCrl(certs, 'revoked', certs.serverCert);
      assert.equal((await session(tcp(`${verify} sslcrl=${clean.file}`))).user, 'scramuser');
      assert.equal((await session(tcp(`${verify} sslcrldir=${clean.dir}`))).user, 'scramuser');
      for (const crl of [`sslcrl=${revoked.file}`, `sslcrldir=${revoked.dir}`]) {
        await assert.rejects(
          session(tcp(`${verify} ${crl}`)),
          (e: unknown) => PgOpsError.is(e, 'conn-tls') && /revoked/i.test(e.message),
          crl,
        );
      }
      await assert.rejects(
        session(tcp(`${verify} sslcrldir=${path.join(certs.dir, 'no-such-dir')}`)),
        (e: unknown) =>
          PgOpsError.is(e, 'tls') && /cannot read the sslcrldir directory ".*no-such-dir": ENOENT/.test(e.message),
      );
    });

    it("cert authentication without a client certificate fails with the server's reason", async () => {
      await assert.rejects(
        session(tcp(`user=certuser sslmode=verify-full sslrootcert=${certs.caCert}`)),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /certificate/i.test(e.message),
      );
    });

    it('refuses, before connecting, a missing root certificate for verify-ca and a client key others can read', async () => {
      await assert.rejects(
        session(tcp('user=certuser sslmode=verify-ca')),
        (e: unknown) =>
          PgOpsError.is(e, 'tls') &&
          /root certificate file ".*root\.crt" does not exist/.test(e.message) &&
          /sslrootcert=system/.test(e.hint ?? ''),
      );
      const openKey = path.join(certs.dir, 'open.key');
      fs.copyFileSync(certs.clientKey, openKey);
      fs.chmodSync(openKey, 0o644);
      await assert.rejects(
        session(
          tcp(
            `user=certuser sslmode=verify-full sslrootcert=${certs.caCert} sslcert=${certs.clientCert} sslkey=${openKey}`,
          ),
        ),
        (e: unknown) =>
          PgOpsError.is(e, 'tls') && e.message.includes(openKey) && /group or world access/.test(e.message),
      );
    });

    it('reject: the pg_hba line refuses the connection and the error says so', async () => {
      await assert.rejects(
        session(tcp('user=rejected sslmode=disable')),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /pg_hba\.conf rejects connection/.test(e.message) && !!e.hint,
      );
    });

    it('names the pg_hba line, its method and the next step when rules are known (read from pg_hba_file_rules)', async () => {
      const admin = await server.admin();
      const known = await readServerHbaRules(admin).finally(() => admin.end());
      const rules = () => Promise.resolve({ rules: known.rules, description: known.source.description });
      const fail = async (conninfo: string, user: string) => {
        const r = resolveConnection(conninfo, ctx);
        try {
          await connectResolved(r, { explainAuthFailure: hbaAdvisor(rules, user, 'postgres') });
        } catch (e) {
          return e as PgOpsError;
        }
        throw new Error(`${conninfo} connected`);
      };
      const rejected = await fail(tcp('user=rejected sslmode=disable'), 'rejected');
      assert.match(rejected.message, /line 5 of .*pg_hba\.conf.*method reject/);
      assert.match(rejected.hint ?? '', /refuses the connection on purpose/);
      const bob = await fail(`host=${server.socketDir} port=${server.port} user=bob dbname=postgres`, 'bob');
      assert.match(bob.message, /line 4 of .*method peer/);
      assert.match(bob.hint ?? '', /pg_ident\.conf/);
      const wrongPassword = await fail(tcp("user=scramuser sslmode=disable password='not-it'"), 'scramuser');
      assert.match(wrongPassword.message, /line 9 of .*method scram-sha-256/);
      assert.ok(!wrongPassword.message.includes('not-it'));
    });

    it('require_auth and channel_binding=require are checked before any password is sent', async () => {
      let asked = 0;
      const credential = {
        label: 'counting',
        get: () => {
          asked++;
          return Promise.resolve(userPassword);
        },
      };
      const attempt = (conninfo: string) =>
        connectResolved(resolveConnection(conninfo, { ...ctx, env: { HOME: '/nonexistent' } }), { credential });
      await assert.rejects(
        attempt(tcp('user=scramuser sslmode=disable require_auth=md5,password')),
        (e: unknown) =>
          PgOpsError.is(e, 'conn-auth') &&
          /authentication method requirement "md5,password" failed: server requested scram-sha-256/.test(e.message),
      );
      assert.equal(asked, 0, 'no password was handed over');
      await assert.rejects(
        attempt(`host=${server.socketDir} port=${server.port} user=postgres dbname=postgres require_auth=!none`),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /did not complete authentication/.test(e.message),
      );
      const ok = await attempt(
        tcp('user=scramuser sslmode=require channel_binding=require require_auth=scram-sha-256'),
      );
      assert.equal(ok.info.authMethod, 'scram-sha-256 (channel binding)');
      await ok.client.end();
      await assert.rejects(
        attempt(tcp('user=scramuser sslmode=disable channel_binding=require')),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /channel binding required/.test(e.message),
      );
    });

    it("peer over the Unix socket authenticates this process's OS user (root), directly and through a pg_ident map", async () => {
      const direct = await session(`host=${server.socketDir} port=${server.port} user=root dbname=postgres`);
      assert.equal(direct.user, 'root');
      assert.equal(direct.info.host.socket, true);
      assert.equal(direct.info.tls.inUse, false, 'no TLS on a Unix socket whatever sslmode says');
      if (major >= 16) assert.equal(direct.info.authMethod, 'peer');
      else assert.match(direct.info.authMethod, /no password asked/);
      const mapped = await session(
        `host=${server.socketDir} port=${server.port} user=alice dbname=postgres sslmode=verify-full`,
      );
      assert.equal(mapped.user, 'alice');
      await assert.rejects(
        session(`host=${server.socketDir} port=${server.port} user=bob dbname=postgres`),
        (e: unknown) =>
          PgOpsError.is(e, 'conn-auth') &&
          /Peer authentication failed for user "bob"/.test(e.message) &&
          e.message.includes(`socket ${server.socketDir}`),
      );
    });

    it('peer as another OS user: a child process running as "postgres" logs in as role mapped; this root process cannot', async () => {
      const runAs = serverRunAs();
      assert.ok(runAs, 'the tests run as root, so the server account exists');
      // bundled into a folder the server account can read: the checkout itself may be out of its reach
      const childDir = tempDir('peer-child');
      const child = bundleTo(path.join(childDir, 'child.js'), {
        resolveDir: 'src/core/conn',
        contents: `
        import { connectResolved } from './connect';
        import { resolveConnection } from './resolve';
        const ctx = { env: {}, homeDir: '/nonexistent', osUser: 'postgres', defaultSocketDir: '/tmp', sysconfDir: '/nonexistent' };
        connectResolved(resolveConnection(process.argv[2], ctx)).then(async (c) => {
          const r = await c.client.query('SELECT current_user AS u');
          console.log(JSON.stringify({ user: r.rows[0].u, method: c.info.authMethod }));
          await c.client.end();
        }, (e: Error) => { console.log(JSON.stringify({ error: e.message })); });`,
      });
      const conninfo = `host=${server.socketDir} port=${server.port} user=mapped dbname=postgres`;
      const out = execFileSync(process.execPath, [child, conninfo], {
        uid: runAs.uid,
        gid: runAs.gid,
        encoding: 'utf8',
        cwd: '/tmp',
      });
      fs.rmSync(childDir, { recursive: true, force: true });
      const seen = JSON.parse(out.trim()) as { user?: string; method?: string; error?: string };
      assert.equal(seen.error, undefined);
      assert.equal(seen.user, 'mapped');
      if (major >= 16) assert.equal(seen.method, 'peer');
      await assert.rejects(
        session(conninfo),
        (e: unknown) => PgOpsError.is(e, 'conn-auth') && /Peer authentication failed for user "mapped"/.test(e.message),
      );
    });
  });
}
