import type { Client, ClientConfig } from 'pg';
import type { OAuthBearerClient } from '../auth/oauth/bearerClient';
import { tokenServer } from '../auth/oauth/tokenCache';
import { CancelledError, PgOpsError } from '../errors';
import type { Connected, ConnectOptions, SessionInfo } from './connect';
import { fallbackConnectTimeoutMs, tlsStateOf } from './connect';
import type { AttemptFailure } from './failures';
import { classifyFailure, combineFailures } from './failures';
import type { HostSpec, ResolvedConnection } from './resolve';
import { describeHost } from './resolve';
import type { SessionSafety } from './session';
import { defaultSafety, startupOptions } from './session';
import type { SslAttempt } from './tls';
import { sslAttempts } from './tls';

/**
 * The pg client configuration of one OAuth attempt on host `h`: the same endpoint, database,
 * TLS options, application_name and safety options a password session would use.
 */
export function oauthClientConfig(
  r: ResolvedConnection,
  h: HostSpec,
  attempt: SslAttempt,
  safety: SessionSafety = defaultSafety,
): ClientConfig {
  return {
    host: h.hostaddr ?? h.host,
    port: h.port,
    user: r.user,
    database: r.dbname,
    ssl: attempt.ssl === false ? false : { ...attempt.ssl },
    application_name: r.params.application_name || safety.applicationName || r.params.fallback_application_name,
    options: startupOptions(r.params.options, safety),
    connectionTimeoutMillis: r.connectTimeoutMs ?? fallbackConnectTimeoutMs,
  };
}

/** Opens an OAuth client on `config` (connectWithOAuth with the caller's prompt and token cache). */
export type OAuthOpener = (config: ClientConfig) => Promise<Client>;

export interface OAuthSessionOptions {
  safety?: SessionSafety;
  explainAuthFailure?: ConnectOptions['explainAuthFailure'];
}

/** The servers an OAuth profile's tokens are kept for (see tokenServer): its hosts as connected to. */
export function oauthTokenServers(r: ResolvedConnection): string[] {
  return r.hosts.map((h) => tokenServer(h.hostaddr ?? h.host, h.port));
}

/**
 * A diagnostic session on a server that authenticates with OAuth. Like the extension, it takes one
 * endpoint, the first host, trying its TLS attempts in sslmode's order (prefer: TLS, then plain;
 * allow: plain, then TLS). A token goes only on an encrypted attempt: a plain one the server answers
 * with an OAuth challenge moves on to the next attempt, and ends with that refusal when none is left.
 * Any other OAuth error (denied, expired, wrong issuer, cancelled) ends it at once: the device flow
 * is not run twice. Other failures read like those of a password session, pg_hba advice included.
 */
export async function connectResolvedOAuth(
  r: ResolvedConnection,
  open: OAuthOpener,
  opts: OAuthSessionOptions = {},
): Promise<Connected> {
  const h = r.hosts[0];
  const failures: AttemptFailure[] = [];
  let refusedPlain: PgOpsError | undefined;
  for (const attempt of sslAttempts(r, h)) {
    let client: Client;
    try {
      client = await open(oauthClientConfig(r, h, attempt, opts.safety));
    } catch (err) {
      if (PgOpsError.is(err, 'oauth-tls-required')) {
        refusedPlain = err;
        continue;
      }
      if (PgOpsError.is(err) || CancelledError.is(err)) throw err;
      failures.push(classifyFailure(r, h, attempt.ssl !== false, err, undefined));
      continue;
    }
    try {
      const info = await describeOAuthSession(client, r, h, attempt);
      return { client, info, target: { host: h.hostaddr ?? h.host, port: h.port, user: r.user, database: r.dbname } };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  }
  throw refusedPlain ?? (await combineFailures(r, failures, opts.explainAuthFailure));
}

async function describeOAuthSession(
  client: Client,
  r: ResolvedConnection,
  h: HostSpec,
  attempt: SslAttempt,
): Promise<SessionInfo> {
  const version = Number(
    (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0].v,
  );
  return {
    host: h,
    description: describeHost(r, h),
    authMethod: await authMethodOf(client, version),
    serverVersionNum: version,
    tls: tlsStateOf(client, attempt),
  };
}

/** 'oauth' when a bearer token was sent; else the server did not ask for one (trust, cert…): system_user says how. */
async function authMethodOf(client: Client, version: number): Promise<string> {
  if ((client as Partial<OAuthBearerClient>).tokenWasSent !== false) return 'oauth';
  if (version < 160000) return 'no OAuth asked (trust, peer, ident or cert)';
  const su = (await client.query<{ su: string | null }>('SELECT system_user AS su')).rows[0].su;
  return su ? su.slice(0, su.indexOf(':')) : 'trust';
}
