import * as assert from 'node:assert/strict';
import { connectResolved } from '../../src/core/conn/connect';
import { resolveConnection } from '../../src/core/conn/resolve';
import { channelBindingViolation, requireAuthViolation } from '../../src/core/conn/requireAuth';
import { describeSessionInfo, suggestProfileName } from '../../src/core/conn/sessionReport';
import { PgOpsError } from '../../src/core/errors';

describe('conn: require_auth, channel_binding and what Test Connection says', () => {
  it('allows listed methods, forbids "!" methods, refuses mixed or unknown lists', () => {
    assert.equal(requireAuthViolation(undefined, 'password'), undefined);
    assert.equal(requireAuthViolation('scram-sha-256', 'scram-sha-256'), undefined);
    assert.match(
      requireAuthViolation('scram-sha-256', 'password') ?? '',
      /requirement "scram-sha-256" failed: server requested a cleartext password/,
    );
    assert.equal(requireAuthViolation('!password,!md5', 'scram-sha-256'), undefined);
    assert.match(requireAuthViolation('!password,!md5', 'md5') ?? '', /server requested md5 authentication/);
    assert.match(requireAuthViolation('scram-sha-256', 'none') ?? '', /did not complete authentication/);
    assert.throws(
      () => requireAuthViolation('!md5,password', 'md5'),
      (e: unknown) => PgOpsError.is(e, 'conninfo') && /cannot be mixed/.test(e.message),
    );
    assert.throws(() => requireAuthViolation('kerberos', 'md5'), /invalid require_auth value: "kerberos"/);
  });

  it('refuses security requirements it cannot honour instead of dropping them', async () => {
    for (const kw of ['gssencmode=require', 'requirepeer=postgres', 'sslcertmode=require', 'replication=database']) {
      await assert.rejects(
        connectResolved(
          resolveConnection(`host=/nonexistent ${kw}`, {
            env: {},
            homeDir: '/nonexistent',
            osUser: 'u',
            defaultSocketDir: '/tmp',
            sysconfDir: '/nonexistent',
          }),
        ),
        (e: unknown) => PgOpsError.is(e, 'conninfo') && /not supported by pgops/.test(e.message),
        kw,
      );
    }
  });

  it('channel_binding=require needs TLS and SCRAM-SHA-256-PLUS', () => {
    assert.equal(channelBindingViolation('prefer', undefined, false), undefined);
    assert.equal(channelBindingViolation('require', ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'], true), undefined);
    assert.match(channelBindingViolation('require', ['SCRAM-SHA-256'], true) ?? '', /did not offer/);
    assert.match(channelBindingViolation('require', ['SCRAM-SHA-256-PLUS'], false) ?? '', /not encrypted/);
  });

  it('describes a session by server, endpoint, auth and encryption, and suggests profile names', () => {
    const lines = describeSessionInfo({
      host: { host: 'db', port: 5432, socket: false },
      description: 'app@db:5432/app',
      authMethod: 'scram-sha-256',
      passwordSource: '/home/u/.pgpass line 2',
      serverVersionNum: 180001,
      serverVersion: '18.1',
      currentUser: 'app',
      tls: { inUse: true, verified: 'full', protocol: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' },
    });
    assert.deepEqual(lines, [
      'Server: PostgreSQL 18.1',
      'Connected to: app@db:5432/app',
      'Session user: app',
      'Authentication: scram-sha-256 (password from /home/u/.pgpass line 2)',
      'Encryption: TLSv1.3 (TLS_AES_256_GCM_SHA384), server certificate verified with host name (verify-full)',
    ]);
    assert.equal(suggestProfileName({ service: 'reporting' }), 'reporting');
    assert.equal(suggestProfileName({ user: 'u', host: 'a,b', dbname: 'd' }), 'u@a/d');
    assert.equal(suggestProfileName({}), 'local socket');
  });
});
