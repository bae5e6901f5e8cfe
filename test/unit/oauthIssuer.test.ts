import * as assert from 'node:assert/strict';
import { unsafeOAuthDebug } from '../../src/core/auth/oauth/connect';
import { checkServerIssuer, issuerFromWellKnownUri } from '../../src/core/auth/oauth/issuer';
import { PgOpsError } from '../../src/core/errors';

describe('OAuth issuer discovery rules (libpq 18)', () => {
  it('derives the issuer from OIDC-style and IETF-style discovery URIs', () => {
    assert.equal(
      issuerFromWellKnownUri('https://idp.example/.well-known/openid-configuration', false),
      'https://idp.example',
    );
    assert.equal(
      issuerFromWellKnownUri('https://idp.example/realms/pg/.well-known/openid-configuration', false),
      'https://idp.example/realms/pg',
    );
    assert.equal(
      issuerFromWellKnownUri('https://idp.example/.well-known/oauth-authorization-server/tenant', false),
      'https://idp.example/tenant',
    );
    assert.equal(
      issuerFromWellKnownUri('https://idp.example/.well-known/oauth-authorization-server', false),
      'https://idp.example',
    );
    assert.equal(issuerFromWellKnownUri('https://idp.example/realms/pg', false), undefined);
  });

  it('rejects malformed discovery URIs, naming them', () => {
    for (const bad of [
      'https://idp.example/a/.well-known/openid-configuration/b',
      'https://idp.example/.well-known/other',
      'https://idp.example/.well-known/openid-configuration?x=1',
    ]) {
      assert.throws(
        () => issuerFromWellKnownUri(bad, false),
        (e: unknown) => PgOpsError.is(e) && e.message.includes(bad),
      );
    }
  });

  it('requires HTTPS unless PGOAUTHDEBUG=UNSAFE is set (http is for local testing only)', () => {
    const uri = 'http://127.0.0.1:9100/.well-known/openid-configuration';
    assert.throws(
      () => issuerFromWellKnownUri(uri, unsafeOAuthDebug({})),
      (e: unknown) => PgOpsError.is(e, 'oauth-https-required') && /PGOAUTHDEBUG=UNSAFE/.test(e.hint ?? ''),
    );
    assert.equal(issuerFromWellKnownUri(uri, unsafeOAuthDebug({ PGOAUTHDEBUG: 'UNSAFE' })), 'http://127.0.0.1:9100');
    assert.equal(unsafeOAuthDebug({ PGOAUTHDEBUG: 'unsafe' }), false);
  });

  it('accepts only a byte-for-byte equal issuer: a trailing slash or another tenant is a mismatch', () => {
    const uri = 'https://idp.example/realms/pg/.well-known/openid-configuration';
    assert.equal(checkServerIssuer(uri, 'https://idp.example/realms/pg', false), 'https://idp.example/realms/pg');
    for (const configured of [
      'https://idp.example/realms/pg/',
      'https://IDP.example/realms/pg',
      'https://idp.example/realms/other',
      'https://idp.example:443/realms/pg',
    ]) {
      assert.throws(
        () => checkServerIssuer(uri, configured, false),
        (e: unknown) =>
          PgOpsError.is(e, 'oauth-issuer-mismatch') &&
          e.message.includes(configured) &&
          e.message.includes('"https://idp.example/realms/pg"'),
      );
    }
  });

  it('when oauth_issuer is itself a discovery URI, the server must send exactly that URI', () => {
    const uri = 'https://idp.example/.well-known/oauth-authorization-server/t1';
    assert.equal(checkServerIssuer(uri, uri, false), 'https://idp.example/t1');
    assert.throws(
      () => checkServerIssuer('https://idp.example/t1/.well-known/openid-configuration', uri, false),
      (e: unknown) => PgOpsError.is(e, 'oauth-issuer-mismatch'),
    );
  });
});
