import type { ClientConfig } from 'pg';
import { PgOpsError } from '../../errors';
import type { Logger } from '../../log';
import { silentLogger } from '../../log';
import type { OAuthChallenge } from './bearerClient';
import { OAuthBearerClient, challengeOf, pgEndpoint, tlsRequiredError } from './bearerClient';
import type { DevicePrompt } from './deviceFlow';
import { refreshTokens, runDeviceFlow } from './deviceFlow';
import { fetchProviderMetadata } from './discovery';
import type { HttpOptions } from './http';
import { checkServerIssuer, configuredIssuer } from './issuer';
import type { TokenCache, TokenCacheKey, TokenSet } from './tokenCache';
import { isFresh, tokenServer } from './tokenCache';
import { inertText } from './untrusted';

/** libpq's OAuth connection parameters. `clientSecret` is a secret: it never goes to settings or logs. */
export interface OAuthParams {
  /** oauth_issuer: the issuer identifier (or its discovery URI), exactly as in the server's pg_hba.conf. */
  issuer: string;
  /** oauth_client_id */
  clientId: string;
  /** oauth_client_secret */
  clientSecret?: string;
  /** oauth_scope; when absent the scope the server asks for is used. */
  scope?: string;
}

export interface OAuthConnectOptions extends HttpOptions {
  params: OAuthParams;
  cache: TokenCache;
  onPrompt(prompt: DevicePrompt): void | Promise<void>;
  /** Bearer tokens over plain TCP: only with PGOAUTHDEBUG=UNSAFE (stricter than libpq, which has no such check). */
  allowUnencrypted?: boolean;
  logger?: Logger;
  wait?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

/** libpq's `PGOAUTHDEBUG=UNSAFE`: allows http:// issuers, for local testing only. */
export function unsafeOAuthDebug(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PGOAUTHDEBUG === 'UNSAFE';
}

type Attempt = { client: OAuthBearerClient } | { challenge: OAuthChallenge; error: unknown; transportSafe: boolean };

/** One connection attempt; a fresh Client each time, as a pg Client cannot reconnect. */
async function attempt(config: ClientConfig, token: string | undefined, o: OAuthConnectOptions): Promise<Attempt> {
  const client = new OAuthBearerClient({
    ...config,
    oauthBearerToken: token,
    oauthAllowUnencrypted: o.allowUnencrypted,
  });
  try {
    await client.connect();
    return { client };
  } catch (err) {
    await client.end().catch(() => undefined);
    const challenge = challengeOf(err);
    if (!challenge) throw err;
    return { challenge, error: err, transportSafe: client.oauthTransportSafe };
  }
}

/** Checks the challenge like libpq and returns the issuer, discovery URI and scope to use. */
function readChallenge(ch: OAuthChallenge, o: OAuthConnectOptions): ServerIssuer {
  if (ch.status !== 'invalid_token') {
    throw new PgOpsError(
      'oauth-rejected',
      `The server rejected the OAuth bearer token: ${inertText(ch.status, 100)}`,
      "Check the server's pg_hba.conf oauth line and its validator.",
    );
  }
  if (!ch.openidConfiguration) {
    throw new PgOpsError(
      'oauth-protocol',
      'The server did not name its OAuth issuer (no openid-configuration in its challenge)',
      "Check the issuer option of the server's pg_hba.conf oauth line.",
    );
  }
  const issuer = checkServerIssuer(ch.openidConfiguration, o.params.issuer, !!o.allowHttp);
  return { issuer, discoveryUri: ch.openidConfiguration, scope: o.params.scope ?? ch.scope };
}

interface ServerIssuer {
  issuer: string;
  discoveryUri: string;
  scope?: string;
}

/** Tokens are kept per server (as connected to), issuer, client and scope: never offered to another server. */
function cacheKey(config: ClientConfig, o: OAuthConnectOptions): TokenCacheKey {
  return {
    server: tokenServer(config.host, config.port),
    issuer: o.params.issuer,
    clientId: o.params.clientId,
    scope: o.params.scope,
  };
}

/** The cached token, refreshed when it has expired; undefined when there is none or the refresh fails. */
async function cachedToken(o: OAuthConnectOptions, key: TokenCacheKey, log: Logger): Promise<TokenSet | undefined> {
  const cached = await o.cache.get(key);
  if (!cached) return undefined;
  const now = (o.now ?? Date.now)();
  if (isFresh(cached, now)) {
    log.info(`OAuth: using the cached access token from ${o.params.issuer} for ${key.server}`);
    return cached;
  }
  if (!cached.refreshToken) {
    await o.cache.delete(key);
    return undefined;
  }
  try {
    log.info(`OAuth: access token from ${o.params.issuer} expired; refreshing it`);
    const issuer = configuredIssuer(o.params.issuer, !!o.allowHttp).issuer;
    const renewed = await refreshTokens(cached, issuer, {
      ...o,
      clientId: o.params.clientId,
      clientSecret: o.params.clientSecret,
      scope: o.params.scope,
    });
    await o.cache.set(key, renewed);
    return renewed;
  } catch (err) {
    if (!PgOpsError.is(err, 'oauth-refresh')) throw err;
    log.info(`OAuth: the refresh was refused (${err.message}); signing in again`);
    await o.cache.delete(key);
    return undefined;
  }
}

/** Discovery metadata + device flow; caches and returns the new tokens. */
async function signIn(
  o: OAuthConnectOptions,
  server: ServerIssuer,
  key: TokenCacheKey,
  log: Logger,
): Promise<TokenSet> {
  const { issuer, discoveryUri, scope } = server;
  const meta = await fetchProviderMetadata(discoveryUri, issuer, o);
  log.info(`OAuth: starting the device authorization flow at ${issuer} for client ${o.params.clientId}`);
  const tokens = await runDeviceFlow(meta, {
    ...o,
    clientId: o.params.clientId,
    clientSecret: o.params.clientSecret,
    scope,
    onPrompt: (p) => {
      log.info(`OAuth: waiting for the sign-in at ${inertText(p.verificationUri)} to be approved`);
      return o.onPrompt(p);
    },
  });
  await o.cache.set(key, tokens);
  log.info(
    `OAuth: obtained an access token from ${issuer}${tokens.expiresAt ? ` valid for ${Math.round((tokens.expiresAt - (o.now ?? Date.now)()) / 1000)} s` : ''}`,
  );
  return tokens;
}

/** libpq's checks before connecting: both parameters set, and an https issuer (unless unsafe debug). */
function checkParams(config: ClientConfig, o: OAuthConnectOptions): void {
  if (!o.params.issuer || !o.params.clientId) {
    throw new PgOpsError(
      'oauth-params',
      `OAuth for ${pgEndpoint(config)} needs both oauth_issuer and oauth_client_id`,
      'Set both in the connection profile.',
    );
  }
  configuredIssuer(o.params.issuer, !!o.allowHttp);
}

function rejected(config: ClientConfig, o: OAuthConnectOptions, err: unknown): PgOpsError {
  const serverText = inertText((err as { message?: string }).message ?? String(err));
  return new PgOpsError(
    'oauth-token-rejected',
    `The server at ${pgEndpoint(config)} rejected the OAuth token from ${o.params.issuer}: ${serverText}`,
    "The provider issued the token but the server's validator refused it: check that the " +
      'signed-in identity matches the database user (or the pg_ident map) and that the token ' +
      'carries the scope the server requires.',
    { cause: err },
  );
}

/**
 * Connects like libpq's builtin flow, and stricter. First a discovery round (empty auth) on every
 * connection: the server's challenge must name `oauth_issuer` exactly, and the connection must use
 * TLS (or a Unix-domain socket; plain TCP only with PGOAUTHDEBUG=UNSAFE), before any token is
 * looked up, requested or sent. Then a second connection with the token cached for this server,
 * issuer, client and scope; without one (or when the server refuses it), the device flow runs
 * outside any connection (the server's authentication_timeout would end one held open during
 * approval) and a new connection sends the new token. Servers that do not ask for OAuth are
 * connected to normally, by the discovery connection itself.
 */
export async function connectWithOAuth(config: ClientConfig, o: OAuthConnectOptions): Promise<OAuthBearerClient> {
  const log = o.logger ?? silentLogger;
  checkParams(config, o);
  log.info(`OAuth: asking the server at ${pgEndpoint(config)} for its issuer (discovery)`);
  const discovery = await attempt(config, undefined, o);
  if ('client' in discovery) return discovery.client;
  const server = readChallenge(discovery.challenge, o);
  if (!discovery.transportSafe && !o.allowUnencrypted) throw tlsRequiredError(pgEndpoint(config));
  const key = cacheKey(config, o);
  const cached = await cachedToken(o, key, log);
  if (cached) {
    const first = await attempt(config, cached.accessToken, o);
    if ('client' in first) return first.client;
    log.info(`OAuth: the server at ${pgEndpoint(config)} refused the cached token; signing in again`);
    await o.cache.delete(key);
  }
  const tokens = await signIn(o, server, key, log);
  const second = await attempt(config, tokens.accessToken, o);
  if ('client' in second) return second.client;
  await o.cache.delete(key);
  throw rejected(config, o, second.error);
}

/** The OAuth parameters among libpq connection keywords; undefined when none is set. */
export function oauthParamsFromKeywords(k: Readonly<Record<string, string | undefined>>): OAuthParams | undefined {
  if (!k.oauth_issuer && !k.oauth_client_id) return undefined;
  return {
    issuer: k.oauth_issuer ?? '',
    clientId: k.oauth_client_id ?? '',
    clientSecret: k.oauth_client_secret,
    scope: k.oauth_scope || undefined,
  };
}

/**
 * libpq's environment switches: PGOAUTHDEBUG=UNSAFE allows http:// issuers (and here bearer tokens
 * over plain TCP) and, only then, PGOAUTHCAFILE names an extra CA bundle. All for testing only.
 */
export function oauthHttpFromEnv(
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string,
): Pick<OAuthConnectOptions, 'allowHttp' | 'allowUnencrypted' | 'ca'> {
  const allowHttp = unsafeOAuthDebug(env);
  const caFile = allowHttp ? env.PGOAUTHCAFILE : undefined;
  return { allowHttp, allowUnencrypted: allowHttp, ca: caFile ? readFile(caFile) : undefined };
}
