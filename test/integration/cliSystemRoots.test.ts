import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { serverRunAs } from '../../src/core/sandbox/osUser';
import type { TestServer } from '../support/servers';
import { serverMatrix, startTestServer, tempDir } from '../support/servers';
import type { CliRun } from './cliProcess';
import { cliEnv, runCliProcess } from './cliProcess';
import type { TestCerts } from './connSupport';
import { makeCerts, sslSettings } from './connSupport';

/**
 * sslrootcert=system against a real TLS server. The "system" store is OpenSSL's default file and
 * directory, which SSL_CERT_FILE / SSL_CERT_DIR replace for the process — so a spawned CLI can be
 * given a system store holding the test CA without touching /etc. Without them the machine's own
 * store (which does not hold the test CA) must make verification fail.
 */
for (const binaries of serverMatrix()) {
  describe(`conn: sslrootcert=system with the system store pointed by SSL_CERT_FILE / SSL_CERT_DIR [PostgreSQL ${binaries.major}]`, function () {
    this.timeout(90_000);
    let server: TestServer;
    let certs: TestCerts;
    let home: string;

    before(async () => {
      certs = makeCerts(serverRunAs());
      server = await startTestServer(binaries, {
        hba: 'local all postgres trust\nhostssl all tlsuser 127.0.0.1/32 trust\n',
        settings: sslSettings(certs),
      });
      const admin = await server.admin();
      try {
        await admin.query('CREATE ROLE tlsuser LOGIN');
      } finally {
        await admin.end();
      }
      home = tempDir('clisysca');
    });

    after(async () => {
      await server?.stop();
      if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
      if (home) fs.rmSync(home, { recursive: true, force: true });
    });

    const conn = (extra = '') =>
      `host=localhost port=${server.port} dbname=postgres user=tlsuser sslrootcert=system${extra}`;
    const test = (env: NodeJS.ProcessEnv, extra = ''): Promise<CliRun> =>
      runCliProcess(['conn', 'test', '--conn', conn(extra)], { env: cliEnv(home, env) });

    it('verifies the server (verify-full, the default with sslrootcert=system) when SSL_CERT_FILE holds its CA', async () => {
      const r = await test({ SSL_CERT_FILE: certs.caCert });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Encryption: TLSv1\.[23] .*server certificate verified with host name \(verify-full\)/);
      assert.match(r.out, /Session user: tlsuser/);
    });

    it('reads SSL_CERT_DIR too (a missing SSL_CERT_FILE adds nothing, as in OpenSSL)', async () => {
      const dir = path.join(home, 'certs');
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(certs.caCert, path.join(dir, 'test-ca.pem'));
      const r = await test({ SSL_CERT_FILE: path.join(home, 'no-such-bundle.pem'), SSL_CERT_DIR: dir });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /verify-full/);
    });

    it('fails verification with a clear TLS error when the system store does not hold the CA', async () => {
      for (const env of [{}, { SSL_CERT_FILE: certs.otherCaCert }]) {
        const r = await test(env);
        assert.equal(r.code, 1, r.out);
        assert.match(
          r.err,
          new RegExp(
            `pgops conn: TLS failed for tlsuser@localhost:${server.port}/postgres ` +
              `\\(sslmode=verify-full, implied by sslrootcert=system\\): ` +
              `(self-signed certificate in certificate chain|unable to get local issuer certificate)`,
          ),
        );
        assert.match(r.err, /sslrootcert/, 'the hint says what to check');
      }
    });

    it('says so when the system store is empty, and refuses a weaker sslmode with sslrootcert=system', async () => {
      const empty = await test({ SSL_CERT_FILE: path.join(home, 'no-such-bundle.pem') });
      assert.equal(empty.code, 1);
      assert.match(
        empty.err,
        /sslrootcert=system: the system trust store has no certificates \(SSL_CERT_FILE=.*no-such-bundle\.pem, SSL_CERT_DIR=unset\)/,
      );
      const weak = await test({ SSL_CERT_FILE: certs.caCert }, ' sslmode=require');
      assert.equal(weak.code, 1);
      assert.match(weak.err, /weak sslmode "require" may not be used with sslrootcert=system/);
    });
  });
}
