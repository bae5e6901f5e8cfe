import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { oauthParamsFromKeywords } from '../../src/core/auth/oauth/connect';
import { hbaRulesFromFile } from '../../src/core/conn/hbaAdvice';
import { tokenServer } from '../../src/core/auth/oauth/tokenCache';
import { oauthClientConfig, oauthTokenServers } from '../../src/core/conn/oauthSession';
import { parseProfiles, profileKeys } from '../../src/core/conn/profile';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { resolveConnection } from '../../src/core/conn/resolve';
import { defaultSafety } from '../../src/core/conn/session';
import { openSslDefaultRoots, pemCertificates, sslAttempts } from '../../src/core/conn/tls';
import { PgOpsError } from '../../src/core/errors';

describe('conn: OAuth session config and local pg_hba.conf copies', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pgops-oauth-hba-unit-'));
  const ctx: ResolveContext = {
    env: {},
    homeDir: home,
    osUser: 'osuser',
    defaultSocketDir: '/run/pg',
    sysconfDir: path.join(home, 'etc'),
  };
  after(() => fs.rmSync(home, { recursive: true, force: true }));

  it("builds the OAuth attempt's pg config from the resolved connection: endpoint, TLS attempt, safety options", () => {
    const r = resolveConnection(
      'host=db.example.com,other port=6432 user=alice dbname=app connect_timeout=3 options=-cwork_mem=8MB oauth_issuer=https://idp oauth_client_id=c',
      ctx,
    );
    const h = r.hosts[0];
    const [tls, plain] = sslAttempts(r, h);
    const config = oauthClientConfig(r, h, tls, defaultSafety);
    assert.deepEqual(
      [config.host, config.port, config.user, config.database, config.connectionTimeoutMillis],
      ['db.example.com', 6432, 'alice', 'app', 3000],
    );
    assert.equal(typeof config.ssl, 'object', 'sslmode=prefer tries TLS first');
    assert.equal(oauthClientConfig(r, h, plain).ssl, false);
    assert.match(String(config.options), /^-cwork_mem=8MB .*default_transaction_read_only=on/);
    assert.equal(config.application_name, defaultSafety.applicationName);
    assert.equal(
      oauthClientConfig(resolveConnection('host=h application_name=mine', ctx), r.hosts[0], plain).application_name,
      'mine',
    );
  });

  it("names the servers a profile's tokens are kept for exactly as the OAuth attempt connects to them (what Forget OAuth tokens deletes)", () => {
    const r = resolveConnection(
      'host=db.example.com,other hostaddr=10.0.0.5,10.0.0.6 port=6432,6433 user=alice oauth_issuer=https://idp oauth_client_id=c',
      ctx,
    );
    const attempt = sslAttempts(r, r.hosts[0])[0];
    const config = oauthClientConfig(r, r.hosts[0], attempt);
    assert.deepEqual(oauthTokenServers(r), ['10.0.0.5:6432', '10.0.0.6:6433']);
    assert.equal(oauthTokenServers(r)[0], tokenServer(config.host, config.port));
  });

  it('takes oauth_client_secret from the conninfo like libpq (and only OAuth keywords start OAuth)', () => {
    const r = resolveConnection(
      'host=h oauth_issuer=https://idp oauth_client_id=c oauth_client_secret=s oauth_scope=',
      ctx,
    );
    assert.deepEqual(oauthParamsFromKeywords(r.params), {
      issuer: 'https://idp',
      clientId: 'c',
      clientSecret: 's',
      scope: undefined,
    });
    assert.equal(oauthParamsFromKeywords(resolveConnection('host=h', ctx).params), undefined);
  });

  it('reads a local pg_hba.conf copy with ~/ expanded and names it in the description', () => {
    fs.writeFileSync(
      path.join(home, 'hba-copy.conf'),
      '# copy\nlocal all all peer\nhost all bob 127.0.0.1/32 reject\n',
    );
    const rules = hbaRulesFromFile('~/hba-copy.conf', { homeDir: home });
    assert.equal(rules.description, `the local copy ${path.join(home, 'hba-copy.conf')}`);
    assert.deepEqual(
      rules.rules.map((r) => [r.source.line, r.method]),
      [
        [2, 'peer'],
        [3, 'reject'],
      ],
    );
    assert.equal(
      hbaRulesFromFile('hba-copy.conf', { cwd: home }).rules.length,
      2,
      'a relative path is relative to cwd',
    );
  });

  it('refuses a missing or unparsable copy with an error naming the file (and the line)', () => {
    const missing = path.join(home, 'nope.conf');
    assert.throws(
      () => hbaRulesFromFile(missing),
      (err: unknown) => PgOpsError.is(err, 'hba-file') && err.message.includes(`could not open file "${missing}"`),
    );
    fs.writeFileSync(path.join(home, 'bad.conf'), 'local all all peer\nhost all all 10.0.0.0/99 md5\n');
    assert.throws(
      () => hbaRulesFromFile(path.join(home, 'bad.conf')),
      (err: unknown) =>
        PgOpsError.is(err, 'hba-file') &&
        /line 2 of .*bad\.conf: invalid CIDR mask in address "10\.0\.0\.0\/99"/.test(err.message) &&
        !!err.hint,
    );
  });

  it("keeps a profile's hbaFile (written back to settings) and refuses one that is not a path", () => {
    assert.equal(
      parseProfiles([{ name: 'p', conninfo: 'host=h', hbaFile: ' ~/db/pg_hba.conf ' }])[0].hbaFile,
      '~/db/pg_hba.conf',
    );
    assert.equal(parseProfiles([{ name: 'p' }])[0].hbaFile, undefined);
    assert.ok((profileKeys as readonly string[]).includes('hbaFile'));
    for (const bad of [42, '', ['a']]) {
      assert.throws(
        () => parseProfiles([{ name: 'p', hbaFile: bad }]),
        (err: unknown) =>
          PgOpsError.is(err, 'settings') &&
          err.message.includes('pgops.connections[0] ("p"): "hbaFile" must be the path of a file') &&
          /pg_hba\.conf/.test(err.hint ?? ''),
      );
    }
  });

  it('reads the "system" store like OpenSSL: SSL_CERT_FILE replaces the default bundle, SSL_CERT_DIR adds every file in it', () => {
    const pem = (n: string) => `-----BEGIN CERTIFICATE-----\n${n}\n-----END CERTIFICATE-----`;
    const bundle = path.join(home, 'bundle.pem');
    fs.writeFileSync(bundle, `junk\n${pem('A')}\n${pem('B')}\n`);
    const dir = path.join(home, 'certdir');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'c.pem'), pem('C'));
    fs.mkdirSync(path.join(dir, 'sub'));
    assert.deepEqual(pemCertificates(fs.readFileSync(bundle, 'utf8')), [pem('A'), pem('B')]);
    assert.deepEqual(openSslDefaultRoots({ SSL_CERT_FILE: bundle }), [pem('A'), pem('B')]);
    assert.deepEqual(
      openSslDefaultRoots({
        SSL_CERT_FILE: bundle,
        SSL_CERT_DIR: `${path.join(home, 'missing')}${path.delimiter}${dir}`,
      }),
      [pem('A'), pem('B'), pem('C')],
    );
    assert.deepEqual(
      openSslDefaultRoots({ SSL_CERT_FILE: path.join(home, 'missing.pem'), SSL_CERT_DIR: dir }),
      [pem('C')],
      'a missing SSL_CERT_FILE does not fall back to the default bundle',
    );
    assert.deepEqual(openSslDefaultRoots({ SSL_CERT_FILE: path.join(home, 'missing.pem') }), []);
  });
});
