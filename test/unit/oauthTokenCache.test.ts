import * as assert from 'node:assert/strict';
import { oauthHttpFromEnv, oauthParamsFromKeywords } from '../../src/core/auth/oauth/connect';
import { isFresh, SecretStoreTokenCache } from '../../src/core/auth/oauth/tokenCache';

/** A map standing in for VS Code's SecretStorage, which exists only inside VS Code. */
function mapStore(): { secrets: Map<string, string>; get(k: string): Promise<string | undefined>; store(k: string, v: string): Promise<void>; delete(k: string): Promise<void> } {
  const secrets = new Map<string, string>();
  return {
    secrets,
    get: async (k) => secrets.get(k),
    store: async (k, v) => { secrets.set(k, v); },
    delete: async (k) => { secrets.delete(k); },
  };
}

describe('OAuth token cache and parameters', () => {
  it('keeps tokens per issuer, client and scope in a secret store, and forgets them', async () => {
    const store = mapStore();
    const cache = new SecretStoreTokenCache(store);
    const a = { issuer: 'https://idp.example', clientId: 'pg', scope: 'openid postgres' };
    await cache.set(a, { accessToken: 'YQ', refreshToken: 'cg', expiresAt: 5000, tokenEndpoint: 'https://idp.example/token' });
    assert.deepEqual(await cache.get(a), { accessToken: 'YQ', refreshToken: 'cg', expiresAt: 5000, tokenEndpoint: 'https://idp.example/token' });
    assert.equal(await cache.get({ ...a, scope: 'openid' }), undefined);
    assert.equal(await cache.get({ ...a, clientId: 'other' }), undefined);
    await cache.delete(a);
    assert.equal(store.secrets.size, 0);
  });

  it('treats a damaged stored value as no token', async () => {
    const store = mapStore();
    const cache = new SecretStoreTokenCache(store);
    const key = { issuer: 'https://idp.example', clientId: 'pg' };
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

  it('reads libpq\'s oauth_* keywords', () => {
    assert.equal(oauthParamsFromKeywords({ host: 'h' }), undefined);
    assert.deepEqual(oauthParamsFromKeywords({ oauth_issuer: 'https://i', oauth_client_id: 'c', oauth_scope: '' }), { issuer: 'https://i', clientId: 'c', clientSecret: undefined, scope: undefined });
    assert.deepEqual(oauthParamsFromKeywords({ oauth_issuer: 'https://i', oauth_client_id: 'c', oauth_client_secret: '', oauth_scope: 'openid' }), { issuer: 'https://i', clientId: 'c', clientSecret: '', scope: 'openid' });
  });

  it('honours PGOAUTHCAFILE only together with PGOAUTHDEBUG=UNSAFE, as libpq does', () => {
    const read = (f: string): string => `PEM of ${f}`;
    assert.deepEqual(oauthHttpFromEnv({ PGOAUTHCAFILE: '/ca.pem' }, read), { allowHttp: false, ca: undefined });
    assert.deepEqual(oauthHttpFromEnv({ PGOAUTHDEBUG: 'UNSAFE', PGOAUTHCAFILE: '/ca.pem' }, read), { allowHttp: true, ca: 'PEM of /ca.pem' });
  });
});
