import * as assert from 'node:assert/strict';
import { Pool } from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';
import { OAuthBearerClient, challengeOf } from '../../src/core/auth/oauth/bearerClient';
import type { OAuthConnectOptions, OAuthParams } from '../../src/core/auth/oauth/connect';
import { connectWithOAuth } from '../../src/core/auth/oauth/connect';
import type { DevicePrompt } from '../../src/core/auth/oauth/deviceFlow';
import type { TokenCache, TokenCacheKey, TokenSet } from '../../src/core/auth/oauth/tokenCache';
import { MemoryTokenCache, SecretStoreTokenCache, tokenServer } from '../../src/core/auth/oauth/tokenCache';
import { PgOpsError } from '../../src/core/errors';
import type { Logger } from '../../src/core/log';
import type { ApprovalResult } from '../support/oauth/approve';
import { approveDeviceCode } from '../support/oauth/approve';
import { clients } from '../support/oauth/idp';
import type { OAuthRig } from '../support/oauth/rig';
import { authenticationTimeoutSeconds, oauthScope, startOAuthRig } from '../support/oauth/rig';
import { mapSecretStore } from '../support/mapSecretStore';

/** Remembers every token it stores, so the no-secret test knows what to look for. */
class RecordingCache extends MemoryTokenCache {
  static readonly seen = new Set<string>();

  override async set(key: TokenCacheKey, tokens: TokenSet): Promise<void> {
    RecordingCache.seen.add(tokens.accessToken);
    if (tokens.refreshToken) RecordingCache.seen.add(tokens.refreshToken);
    await super.set(key, tokens);
  }
}

/** The person at the keyboard: sees the prompt and approves (or denies) it in the provider's pages. */
class Person {
  readonly prompts: DevicePrompt[] = [];
  approval?: Promise<ApprovalResult>;

  constructor(
    private readonly rig: () => OAuthRig,
    private readonly account: string,
    private readonly decision: 'approve' | 'deny' | 'ignore' = 'approve',
    private readonly thinkMs = 0,
  ) {}

  readonly onPrompt = (p: DevicePrompt): void => {
    this.prompts.push(p);
    if (this.decision === 'ignore') return;
    this.approval = new Promise((resolve) => setTimeout(resolve, this.thinkMs)).then(() =>
      approveDeviceCode({
        verificationUri: p.verificationUriComplete ?? p.verificationUri,
        userCode: p.userCode,
        account: this.account,
        ca: this.rig().idp.caPem,
        deny: this.decision === 'deny',
      }),
    );
  };
}

const logLines: string[] = [];
const errorTexts: string[] = [];
const capturingLogger: Logger = {
  trace: (m) => logLines.push(m),
  debug: (m) => logLines.push(m),
  info: (m) => logLines.push(m),
  warn: (m) => logLines.push(m),
  error: (m) => logLines.push(m),
};

/** Keeps the error's texts for the no-secret test, then rethrows it. */
function remember(err: unknown): never {
  const e = err as { message?: string; hint?: string; stack?: string };
  errorTexts.push(`${e.message ?? String(err)} ${e.hint ?? ''} ${e.stack ?? ''}`);
  throw err;
}

describe('OAuth device flow and OAUTHBEARER [PostgreSQL 18]', function () {
  this.timeout(60_000);
  let rig: OAuthRig;
  const r = (): OAuthRig => rig;

  before(async function () {
    this.timeout(120_000);
    rig = await startOAuthRig();
  });

  after(async function () {
    this.timeout(60_000);
    await rig?.stop();
  });

  /** Over TLS, the server's certificate verified (bearer tokens go over TLS only). */
  function pgConfig(user: string): ClientConfig {
    return {
      host: '127.0.0.1',
      port: rig.server.port,
      user,
      database: 'postgres',
      connectionTimeoutMillis: 10_000,
      application_name: 'pgops oauth test',
      ssl: { ca: rig.serverCaPem },
    };
  }

  /** The cache key of the rig's server for these parameters. */
  function keyOf(p: OAuthParams): TokenCacheKey {
    return {
      server: tokenServer('127.0.0.1', rig.server.port),
      issuer: p.issuer,
      clientId: p.clientId,
      scope: p.scope,
    };
  }

  function params(overrides: Partial<OAuthParams> = {}): OAuthParams {
    return { issuer: rig.idp.issuer, clientId: clients.normal, ...overrides };
  }

  function options(p: OAuthParams, person: Person, cache: TokenCache = new RecordingCache()): OAuthConnectOptions {
    return { params: p, cache, onPrompt: person.onPrompt, ca: rig.idp.caPem, logger: capturingLogger };
  }

  async function whoAmI(client: OAuthBearerClient): Promise<{ current_user: string; system_user: string }> {
    try {
      return (await client.query<{ current_user: string; system_user: string }>('SELECT current_user, system_user'))
        .rows[0];
    } finally {
      await client.end();
    }
  }

  it("signs in through the provider's pages after a discovery round and connects as the signed-in role", async () => {
    const alice = new Person(r, 'alice');
    const client = await connectWithOAuth(pgConfig('alice'), options(params(), alice));
    assert.deepEqual(await whoAmI(client), { current_user: 'alice', system_user: 'oauth:alice' });
    assert.equal(alice.prompts.length, 1);
    assert.match(alice.prompts[0].verificationUriComplete ?? '', /^https:\/\/127\.0\.0\.1:\d+\/device\?user_code=/);
    assert.equal((await alice.approval)?.finalTitle, 'Sign-in Success');
    assert.match(rig.serverLog(), /connection authenticated: identity="alice" method=oauth/);
  });

  it('holds no connection open while the person takes longer than authentication_timeout to approve', async () => {
    // What would happen otherwise: a connection waiting that long for its token is cut by the server.
    const waitsForToken = (): Promise<string> =>
      new Promise((resolve) => setTimeout(() => resolve('bGF0ZQ'), (authenticationTimeoutSeconds + 1) * 1000));
    const holding = new OAuthBearerClient({ ...pgConfig('alice'), oauthBearerToken: waitsForToken });
    holding.on('error', () => undefined);
    await assert.rejects(holding.connect(), /terminated|ECONNRESET|EPIPE/);
    const slowAlice = new Person(r, 'alice', 'approve', (authenticationTimeoutSeconds + 1.5) * 1000);
    const started = Date.now();
    const client = await connectWithOAuth(pgConfig('alice'), options(params(), slowAlice));
    assert.ok(
      Date.now() - started > authenticationTimeoutSeconds * 1000,
      'the approval took longer than the server waits for authentication',
    );
    assert.equal((await whoAmI(client)).current_user, 'alice');
  });

  it('asks the user once for ten reconnects within the token lifetime (tokens kept in a secret store)', async () => {
    const alice = new Person(r, 'alice');
    const secrets = new Map<string, string>();
    const store = mapSecretStore(secrets);
    const o = options(params(), alice, new SecretStoreTokenCache(store));
    const deviceRequests = rig.idp.requestCount('/device/auth');
    for (let i = 0; i < 10; i++) {
      const client = await connectWithOAuth(pgConfig('alice'), o);
      assert.equal((await whoAmI(client)).current_user, 'alice');
    }
    assert.equal(alice.prompts.length, 1);
    assert.equal(rig.idp.requestCount('/device/auth') - deviceRequests, 1);
    assert.equal(secrets.size, 1);
    const [[key, value]] = [...secrets];
    const stored = JSON.parse(value) as TokenSet;
    RecordingCache.seen.add(stored.accessToken);
    assert.ok(!key.includes(stored.accessToken), "the secret's key names server, issuer, client and scope only");
    assert.ok(key.includes(`127.0.0.1:${rig.server.port}`), "the secret's key names the server");
  });

  it('connects normally when the server asks for a password instead of OAuth, without any prompt', async () => {
    const nobody = new Person(r, 'alice', 'ignore');
    const client = await connectWithOAuth(
      { ...pgConfig('postgres'), password: rig.server.password },
      options(params(), nobody),
    );
    assert.deepEqual(await whoAmI(client), { current_user: 'postgres', system_user: 'scram-sha-256:postgres' });
    assert.equal(nobody.prompts.length, 0);
  });

  it('uses the refresh token after the access token expired, without asking again', async () => {
    const alice = new Person(r, 'alice');
    const cache = new RecordingCache();
    const p = params({ clientId: clients.shortToken, scope: `${oauthScope} offline_access` });
    const first = await connectWithOAuth(pgConfig('alice'), options(p, alice, cache));
    await first.end();
    const before = await cache.get(keyOf(p));
    assert.ok(before?.refreshToken, 'the provider issued a refresh token');
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const expired = new OAuthBearerClient({ ...pgConfig('alice'), oauthBearerToken: before.accessToken });
    await assert.rejects(expired.connect(), (e: unknown) => (e as { code?: string }).code === '28000');
    const [tokenCalls, deviceCalls] = [rig.idp.requestCount('/token'), rig.idp.requestCount('/device/auth')];
    const second = await connectWithOAuth(pgConfig('alice'), options(p, alice, cache));
    assert.equal((await whoAmI(second)).current_user, 'alice');
    assert.equal(alice.prompts.length, 1);
    assert.deepEqual(
      [rig.idp.requestCount('/token') - tokenCalls, rig.idp.requestCount('/device/auth') - deviceCalls],
      [1, 0],
      'one refresh request, no new device code',
    );
    assert.notEqual((await cache.get(keyOf(p)))?.accessToken, before.accessToken);
  });

  it("gets the server's own error for a token the provider does not know, after answering the challenge", async () => {
    const introspections = rig.idp.requestCount('/token/introspection');
    const client = new OAuthBearerClient({ ...pgConfig('alice'), oauthBearerToken: 'bm90LWEtcmVhbC10b2tlbg' });
    const err = (await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )) as { code?: string; message?: string };
    assert.equal(err?.code, '28000');
    assert.match(err.message ?? '', /OAuth bearer authentication failed for user "alice"/);
    assert.equal(challengeOf(err)?.status, 'invalid_token');
    assert.equal(challengeOf(err)?.openidConfiguration, `${rig.idp.issuer}/.well-known/openid-configuration`);
    assert.equal(
      rig.idp.requestCount('/token/introspection') - introspections,
      1,
      'the validator really asked the provider',
    );
  });

  it('is refused when a valid token of one person is used for another role', async () => {
    const alice = new Person(r, 'alice');
    const cache = new RecordingCache();
    await (await connectWithOAuth(pgConfig('alice'), options(params(), alice, cache))).end();
    const token = (await cache.get(keyOf(params())))?.accessToken;
    const asBob = new OAuthBearerClient({ ...pgConfig('bob'), oauthBearerToken: token });
    await assert.rejects(asBob.connect(), /OAuth bearer authentication failed for user "bob"/);
  });

  it('says the server refused the token when someone else signs in for the role, and forgets it', async () => {
    const bobAtTheKeyboard = new Person(r, 'bob');
    const cache = new RecordingCache();
    await assert.rejects(
      connectWithOAuth(pgConfig('alice'), options(params(), bobAtTheKeyboard, cache)).catch(remember),
      (e: unknown) =>
        PgOpsError.is(e, 'oauth-token-rejected') &&
        /OAuth bearer authentication failed for user "alice"/.test(e.message) &&
        /identity/.test(e.hint ?? ''),
    );
    assert.equal(await cache.get(keyOf(params())), undefined);
  });

  it('replaces a cached token the server rejects by signing in again', async () => {
    const alice = new Person(r, 'alice');
    const cache = new RecordingCache();
    await cache.set(keyOf(params()), { accessToken: 'c3RhbGUtdG9rZW4', tokenEndpoint: `${rig.idp.issuer}/token` });
    const client = await connectWithOAuth(pgConfig('alice'), options(params(), alice, cache));
    assert.equal((await whoAmI(client)).current_user, 'alice');
    assert.equal(alice.prompts.length, 1);
  });

  it('refuses a server whose issuer differs from oauth_issuer, requesting and sending no token', async () => {
    const alice = new Person(r, 'alice');
    const counts = ['/.well-known/openid-configuration', '/device/auth', '/token', '/token/introspection'].map((p) =>
      rig.idp.requestCount(p),
    );
    const configured = `${rig.idp.issuer}/tenant-a`;
    await assert.rejects(
      connectWithOAuth(pgConfig('alice'), options(params({ issuer: configured }), alice)).catch(remember),
      (e: unknown) =>
        PgOpsError.is(e, 'oauth-issuer-mismatch') &&
        e.message.includes(configured) &&
        e.message.includes(`"${rig.idp.issuer}"`) &&
        /no token/.test(e.message),
    );
    assert.equal(alice.prompts.length, 0);
    assert.deepEqual(
      ['/.well-known/openid-configuration', '/device/auth', '/token', '/token/introspection'].map((p) =>
        rig.idp.requestCount(p),
      ),
      counts,
    );
  });

  it('stops with a clear error when the device code expires before anyone approves it', async () => {
    const nobody = new Person(r, 'alice', 'ignore');
    await assert.rejects(
      connectWithOAuth(pgConfig('alice'), options(params({ clientId: clients.shortCode }), nobody)).catch(remember),
      (e: unknown) => PgOpsError.is(e, 'oauth-expired') && e.message.includes(rig.idp.issuer) && !!e.hint,
    );
    assert.equal(nobody.prompts.length, 1);
  });

  it("stops with access_denied when the person denies the request in the provider's page", async () => {
    const denier = new Person(r, 'alice', 'deny');
    await assert.rejects(
      connectWithOAuth(pgConfig('alice'), options(params(), denier)).catch(remember),
      (e: unknown) => PgOpsError.is(e, 'oauth-access-denied') && /access_denied/.test(e.message),
    );
    assert.match((await denier.approval)?.finalText ?? '', /interrupted/);
  });

  it('names the issuer when it cannot be reached', async () => {
    const alice = new Person(r, 'alice');
    await assert.rejects(
      connectWithOAuth(pgConfig('nobody_home'), options(params({ issuer: rig.unreachableIssuer }), alice)).catch(
        remember,
      ),
      (e: unknown) =>
        PgOpsError.is(e, 'oauth-unreachable') &&
        e.message.includes(rig.unreachableIssuer) &&
        /ECONNREFUSED/.test(e.message) &&
        !!e.hint,
    );
    assert.equal(alice.prompts.length, 0);
  });

  it('serves a pg Pool through the callback-style connect pg-pool uses', async () => {
    const alice = new Person(r, 'alice');
    const cache = new RecordingCache();
    await (await connectWithOAuth(pgConfig('alice'), options(params(), alice, cache))).end();
    const token = (await cache.get(keyOf(params())))?.accessToken;
    const pool = new Pool({
      ...pgConfig('alice'),
      Client: OAuthBearerClient,
      oauthBearerToken: () => Promise.resolve(token),
      max: 3,
    } as unknown as PoolConfig);
    try {
      const held = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      const users = await Promise.all(
        held.map(async (c) => (await c.query<{ s: string }>('SELECT system_user AS s')).rows[0].s),
      );
      held.forEach((c) => c.release());
      assert.deepEqual(users, ['oauth:alice', 'oauth:alice', 'oauth:alice']);
    } finally {
      await pool.end();
    }
    // pool.end() resolves before the server has seen the clients go; wait for that, so stopping the
    // server in `after` does not send "terminating connection" to a client that is still closing.
    const admin = await rig.server.admin();
    try {
      for (let i = 0; i < 50; i++) {
        const left = await admin.query("SELECT 1 FROM pg_stat_activity WHERE usename = 'alice'");
        if (left.rowCount === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await admin.end();
    }
  });

  it('never writes a token into a log line or an error message', () => {
    assert.ok(RecordingCache.seen.size >= 5, 'tokens were issued during this suite');
    assert.ok(logLines.length > 10, 'the flow logged its steps');
    const texts = [...logLines, ...errorTexts, rig.serverLog()].join('\n');
    const leaked = [...RecordingCache.seen].filter((t) => texts.includes(t)).length;
    assert.equal(leaked, 0, 'no access or refresh token appears in the captured logs, errors or the server log');
    assert.ok(
      !texts.includes(Buffer.from(rig.idp.validatorAuth, 'base64').toString().split(':')[1]),
      'the validator secret is not logged',
    );
  });
});
