/**
 * Where a bearer token may go (issue 10, finding 8): only to a server whose challenge on this very
 * connection named `oauth_issuer`, only a token cached for that server, and only over TLS.
 * The victim's side is real (oidc-provider, PostgreSQL 18 with an introspecting validator); the
 * other servers are recording listeners an attacker could run (test/support/oauth/recordingServer.ts).
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ClientConfig } from 'pg';
import type { OAuthConnectOptions } from '../../src/core/auth/oauth/connect';
import { connectWithOAuth } from '../../src/core/auth/oauth/connect';
import type { TokenCache } from '../../src/core/auth/oauth/tokenCache';
import { MemoryTokenCache, SecretStoreTokenCache } from '../../src/core/auth/oauth/tokenCache';
import { connectResolvedOAuth } from '../../src/core/conn/oauthSession';
import type { ResolveContext } from '../../src/core/conn/resolve';
import { resolveConnection } from '../../src/core/conn/resolve';
import { CancelledError, PgOpsError } from '../../src/core/errors';
import type { DevicePrompt } from '../../src/core/auth/oauth/deviceFlow';
import { approveDeviceCode } from '../support/oauth/approve';
import { clients, selfSignedCert } from '../support/oauth/idp';
import type { RecordingServer } from '../support/oauth/recordingServer';
import { startRecordingServer } from '../support/oauth/recordingServer';
import type { OAuthRig } from '../support/oauth/rig';
import { oauthScope, startOAuthRig } from '../support/oauth/rig';
import { tempDir } from '../support/servers';
import { mapSecretStore } from '../support/mapSecretStore';

/** A cache that has a token for whatever it is asked: so only the order of events decides whether one is sent. */
function cacheHoldingEveryToken(tokenEndpoint: string): TokenCache {
  return {
    get: () => Promise.resolve({ accessToken: 'Y2FjaGVkLWVsc2V3aGVyZQ', tokenEndpoint }),
    set: () => Promise.resolve(),
    delete: () => Promise.resolve(),
  };
}

describe('OAuth: which server may receive a bearer token [PostgreSQL 18]', function () {
  this.timeout(60_000);
  let rig: OAuthRig;
  let listenerTls: { key: string; cert: string };
  const listeners: RecordingServer[] = [];
  const home = tempDir('oauth-security');

  before(async function () {
    this.timeout(120_000);
    rig = await startOAuthRig();
    listenerTls = await selfSignedCert(home, '127.0.0.1', 'attacker');
  });

  after(async function () {
    this.timeout(60_000);
    await Promise.all(listeners.map((l) => l.close()));
    await rig?.stop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  async function listener(discoveryUri: string, withTls = true): Promise<RecordingServer> {
    const l = await startRecordingServer({ discoveryUri, scope: oauthScope, tls: withTls ? listenerTls : undefined });
    listeners.push(l);
    return l;
  }

  const rigDiscovery = (): string => `${rig.idp.issuer}/.well-known/openid-configuration`;

  /** TLS without verification (sslmode=require): what an attacker's self-signed certificate gets through. */
  function configFor(port: number): ClientConfig {
    return {
      host: '127.0.0.1',
      port,
      user: 'alice',
      database: 'postgres',
      connectionTimeoutMillis: 10_000,
      ssl: { rejectUnauthorized: false },
    };
  }

  /** The rig's own server, its certificate verified (verify-full). */
  function rigConfig(): ClientConfig {
    return {
      host: '127.0.0.1',
      port: rig.server.port,
      user: 'alice',
      database: 'postgres',
      connectionTimeoutMillis: 10_000,
      ssl: { ca: rig.serverCaPem },
    };
  }

  function options(cache: TokenCache, onPrompt: (p: DevicePrompt) => void, signal?: AbortSignal): OAuthConnectOptions {
    return {
      params: { issuer: rig.idp.issuer, clientId: clients.normal, scope: oauthScope },
      cache,
      onPrompt,
      ca: rig.idp.caPem,
      signal,
    };
  }

  /** Signs alice in at the rig's server with `cache`, as a person approving in the provider's pages. */
  async function signInAtRig(cache: TokenCache): Promise<void> {
    const client = await connectWithOAuth(
      rigConfig(),
      options(cache, (p) => {
        void approveDeviceCode({
          verificationUri: p.verificationUriComplete ?? p.verificationUri,
          userCode: p.userCode,
          account: 'alice',
          ca: rig.idp.caPem,
        });
      }),
    );
    await client.end();
  }

  /** A person who gives up as soon as a sign-in is asked for: the flow stops before any token exists. */
  function givingUp(): { prompts: DevicePrompt[]; signal: AbortSignal; onPrompt: (p: DevicePrompt) => void } {
    const ctl = new AbortController();
    const prompts: DevicePrompt[] = [];
    return {
      prompts,
      signal: ctl.signal,
      onPrompt: (p) => {
        prompts.push(p);
        ctl.abort();
      },
    };
  }

  it("sends no token, not even one cached for this very server, before the server's challenge names oauth_issuer", async () => {
    const elsewhere = await listener('https://127.0.0.1:9/elsewhere/.well-known/openid-configuration');
    const person = givingUp();
    await assert.rejects(
      connectWithOAuth(
        configFor(elsewhere.port),
        options(cacheHoldingEveryToken(`${rig.idp.issuer}/token`), person.onPrompt),
      ),
      (e: unknown) => PgOpsError.is(e, 'oauth-issuer-mismatch'),
    );
    assert.ok(
      !elsewhere.sawToken() && elsewhere.initialResponses.length === 1,
      `one discovery request, no bearer token: ${elsewhere.summary()}`,
    );
    assert.equal(elsewhere.initialResponses[0], 'n,,\x01auth=\x01\x01');
    assert.equal(person.prompts.length, 0);
  });

  it('reuses a cached token only on a second connection, after this server named the issuer on the first', async () => {
    const cache = new MemoryTokenCache();
    await signInAtRig(cache);
    const discoveries = (): number =>
      (rig.serverLog().match(/FATAL: {2}OAuth bearer authentication failed for user "alice"/g) ?? []).length;
    const before = discoveries();
    const person = givingUp();
    const client = await connectWithOAuth(rigConfig(), options(cache, person.onPrompt));
    await client.end();
    assert.equal(person.prompts.length, 0, 'the cached token was used');
    assert.equal(
      discoveries() - before,
      1,
      "the server saw one discovery round (refused, as libpq's is) before the token",
    );
  });

  it('never sends a token cached for one server to another server, even one naming the same issuer', async () => {
    const cache = new MemoryTokenCache();
    await signInAtRig(cache);
    const impostor = await listener(rigDiscovery());
    const person = givingUp();
    await assert.rejects(
      connectWithOAuth(configFor(impostor.port), options(cache, person.onPrompt, person.signal)),
      (e: unknown) => CancelledError.is(e),
    );
    assert.ok(!impostor.sawToken(), `the other server received only: ${impostor.summary()}`);
    assert.equal(person.prompts.length, 1, 'a sign-in was asked for the other server instead');
  });

  it('ignores a token kept in Secret Storage under the old key (issuer, client, scope without the server)', async () => {
    const secrets = new Map<string, string>();
    const store = mapSecretStore(secrets);
    secrets.set(
      `pgops.oauth.tokens:${JSON.stringify([rig.idp.issuer, clients.normal, oauthScope])}`,
      JSON.stringify({ accessToken: 'b2xkLWtleWVkLXRva2Vu', tokenEndpoint: `${rig.idp.issuer}/token` }),
    );
    const impostor = await listener(rigDiscovery());
    const person = givingUp();
    await assert.rejects(
      connectWithOAuth(
        configFor(impostor.port),
        options(new SecretStoreTokenCache(store), person.onPrompt, person.signal),
      ),
      (e: unknown) => CancelledError.is(e),
    );
    assert.ok(!impostor.sawToken(), `the server received only: ${impostor.summary()}`);
  });

  it('refuses a server without TLS under sslmode=prefer before any token is sent, naming the host and what to use', async () => {
    const plain = await listener(rigDiscovery(), false);
    const ctx: ResolveContext = {
      env: {},
      homeDir: home,
      osUser: os.userInfo().username,
      defaultSocketDir: '/nonexistent',
      sysconfDir: path.join(home, 'etc'),
    };
    const r = resolveConnection(
      `host=127.0.0.1 port=${plain.port} user=alice dbname=postgres oauth_issuer=${rig.idp.issuer} oauth_client_id=${clients.normal}`,
      ctx,
    );
    const person = givingUp();
    const open = (config: ClientConfig) =>
      connectWithOAuth(
        config,
        options(cacheHoldingEveryToken(`${rig.idp.issuer}/token`), person.onPrompt, person.signal),
      );
    await assert.rejects(
      connectResolvedOAuth(r, open),
      (e: unknown) =>
        PgOpsError.is(e, 'oauth-tls-required') &&
        e.message.includes(`127.0.0.1:${plain.port}`) &&
        /no token/.test(e.message) &&
        /sslmode=require/.test(e.hint ?? '') &&
        /verify-full/.test(e.hint ?? '') &&
        /hostssl/.test(e.hint ?? ''),
    );
    assert.ok(!plain.sawToken(), `the plain server received only: ${plain.summary()}`);
    assert.equal(plain.tlsStartups, 0);
    assert.equal(person.prompts.length, 0, 'no sign-in was asked for a token that could not be sent');
  });
});
