import * as assert from 'node:assert/strict';
import { oauthHttpFromEnv, oauthParamsFromKeywords } from '../../src/core/auth/oauth/connect';
import { isFresh, SecretStoreTokenCache, tokenServer } from '../../src/core/auth/oauth/tokenCache';
import { mapSecretStore } from '../support/mapSecretStore';

describe('OAuth token cache and parameters', () => {
  it('keeps tokens per server, issuer, client and scope in a secret store, and forgets them', async () => {
    const store = mapSecretStore();
    const cache = new SecretStoreTokenCache(store);
    const a = { server: 'db.example:5432', issuer: 'https://idp.example', clientId: 'pg', scope: 'openid postgres' };
    await cache.set(a, {
      accessToken: 'YQ',
      refreshToken: 'cg',
      expiresAt: 5000,
      tokenEndpoint: 'https://idp.example/token',
    });
    assert.deepEqual(await cache.get(a), {
      accessToken: 'YQ',
      refreshToken: 'cg',
      expiresAt: 5000,
      tokenEndpoint: 'https://idp.example/token',
    });
    assert.equal(await cache.get({ ...a, scope: 'openid' }), undefined);
    assert.equal(await cache.get({ ...a, clientId: 'other' }), undefined);
    assert.equal(await cache.get({ ...a, server: 'db.example:5433' }), undefined);
    assert.equal(await cache.get({ ...a, server: 'other.example:5432' }), undefined);
    await cache.delete(a);
    assert.equal(store.secrets.size, 0);
  });

  it('names the server by host and port as connected to (IPv6 in brackets, socket directories as they are)', () => {
    assert.equal(tokenServer('db.example', 6432), 'db.example:6432');
    assert.equal(tokenServer('::1', 5432), '[::1]:5432');
    assert.equal(tokenServer('/run/postgresql', 5432), '/run/postgresql:5432');
    assert.equal(tokenServer(undefined, undefined), 'localhost:5432');
  });

  it("never reads an entry kept under the old key (no server), and Forget OAuth tokens deletes it with the servers' entries", async () => {
    const store = mapSecretStore();
    const cache = new SecretStoreTokenCache(store);
    const params = { issuer: 'https://idp.example', clientId: 'pg', scope: 'openid' };
    const legacyId = `pgops.oauth.tokens:${JSON.stringify([params.issuer, params.clientId, params.scope])}`;
    store.secrets.set(legacyId, JSON.stringify({ accessToken: 'b2xk', tokenEndpoint: 'https://idp.example/token' }));
    assert.equal(await cache.get({ ...params, server: 'db.example:5432' }), undefined);
    for (const server of ['a.example:5432', 'b.example:5432', 'c.example:5432'])
      await cache.set({ ...params, server }, { accessToken: 'bmV3', tokenEndpoint: 't' });
    await cache.forget(params, ['a.example:5432', 'b.example:5432']);
    assert.deepEqual(
      [...store.secrets.keys()],
      [`pgops.oauth.tokens:${JSON.stringify(['c.example:5432', params.issuer, params.clientId, params.scope])}`],
      "the legacy entry and those of the named servers are gone; another server's stays",
    );
  });

  it('treats a damaged stored value as no token', async () => {
    const store = mapSecretStore();
    const cache = new SecretStoreTokenCache(store);
    const key = { server: 'db.example:5432', issuer: 'https://idp.example', clientId: 'pg' };
    await cache.set(key, { accessToken: 'YQ', tokenEndpoint: 't' });
    const [id] = store.secrets.keys();
    store.secrets.set(id, '{not json');
    assert.equal(await cache.get(key), undefined);
  });

  it('renews a token 30 s before it expires, and trusts one without an expiry until refused', () => {
    assert.ok(isFresh({ accessToken: 'x', tokenEndpoint: 't', expiresAt: 100_000 }, 69_000));
    assert.ok(!isFresh({ accessToken: 'x', tokenEndpoint: 't', expiresAt: 100_000 }, 71_000));
    assert.ok(isFresh({ accessToken: 'x', tokenEndpoint: 't' }, Date.now()));
  });

  it("reads libpq's oauth_* keywords", () => {
    assert.equal(oauthParamsFromKeywords({ host: 'h' }), undefined);
    assert.deepEqual(oauthParamsFromKeywords({ oauth_issuer: 'https://i', oauth_client_id: 'c', oauth_scope: '' }), {
      issuer: 'https://i',
      clientId: 'c',
      clientSecret: undefined,
      scope: undefined,
    });
    assert.deepEqual(
      oauthParamsFromKeywords({
        oauth_issuer: 'https://i',
        oauth_client_id: 'c',
        oauth_client_secret: '',
        oauth_scope: 'openid',
      }),
      { issuer: 'https://i', clientId: 'c', clientSecret: '', scope: 'openid' },
    );
  });

  it('honours PGOAUTHCAFILE (and allows plain TCP and http) only with PGOAUTHDEBUG=UNSAFE', () => {
    const read = (f: string): string => `PEM of ${f}`;
    assert.deepEqual(oauthHttpFromEnv({ PGOAUTHCAFILE: '/ca.pem' }, read), {
      allowHttp: false,
      allowUnencrypted: false,
      ca: undefined,
    });
    assert.deepEqual(oauthHttpFromEnv({ PGOAUTHDEBUG: 'UNSAFE', PGOAUTHCAFILE: '/ca.pem' }, read), {
      allowHttp: true,
      allowUnencrypted: true,
      ca: 'PEM of /ca.pem',
    });
    assert.equal(
      oauthHttpFromEnv({ PGOAUTHDEBUG: 'unsafe' }, read).allowUnencrypted,
      false,
      'exactly UNSAFE, as libpq',
    );
  });
});
