import type { Client } from 'pg';
import type { OAuthParams } from '../auth/oauth/connect';
import { oauthParamsFromKeywords } from '../auth/oauth/connect';
import { PgOpsError } from '../errors';
import type { Logger } from '../log';
import type { Connected, CredentialSource } from './connect';
import { connectResolved } from './connect';
import type { HbaRulesAtHand } from './hbaAdvice';
import { hbaAdvisor } from './hbaAdvice';
import type { OAuthOpener } from './oauthSession';
import { connectResolvedOAuth } from './oauthSession';
import type { ResolvedConnection } from './resolve';
import { defaultResolveContext, resolveConnection } from './resolve';
import type { ConnectionTarget, SessionSafety } from './session';
import { defaultSafety } from './session';

/**
 * The one way pgops opens a session, for the extension, the CLI and bench: a profile (resolveProfile)
 * or a CLI connection string is resolved like libpq, then `openSession` connects with the caller's
 * credential, OAuth sign-in, pg_hba rules and safety settings. Every failure goes through one
 * classifier (failures.ts), whichever route opened the session.
 */

/** Signs in with OAuth for a resolved connection whose keywords ask for it (the adapter runs the device flow). */
export type OAuthSignIn = (params: OAuthParams) => OAuthOpener | Promise<OAuthOpener>;

export interface OpenSessionOptions {
  /** A password from outside libpq's sources (Secret Storage, a password command). */
  credential?: CredentialSource;
  /** For connections with oauth_issuer/oauth_client_id; without it they connect as password sessions. */
  oauth?: OAuthSignIn;
  /** pg_hba rules that explain a refused connection: learned from the server, or a local copy. */
  hbaRules?: () => Promise<HbaRulesAtHand | undefined>;
  safety?: SessionSafety;
  logger?: Logger;
  signal?: AbortSignal;
}

/** A session and how to open another one on the same endpoint (bench's facts, admin and observer sessions). */
export interface OpenedSession extends Connected {
  /** A new session on the host this one chose, with other safety settings; the same credential and classifier. */
  reopen: (safety: SessionSafety) => Promise<Client>;
}

/**
 * Opens a diagnostic session: OAuth when the keywords ask for it and the caller can sign in,
 * else libpq's host/TLS/password order. An authentication failure names the pg_hba line when rules are at hand.
 */
export async function openSession(r: ResolvedConnection, opts: OpenSessionOptions = {}): Promise<OpenedSession> {
  const safety = opts.safety ?? defaultSafety;
  const explainAuthFailure = opts.hbaRules ? hbaAdvisor(opts.hbaRules, r.user, r.dbname) : undefined;
  const oauthParams = opts.oauth ? oauthParamsFromKeywords(r.params) : undefined;
  const connected =
    oauthParams && opts.oauth
      ? await connectResolvedOAuth(r, await opts.oauth(oauthParams), { safety, explainAuthFailure })
      : await connectResolved(r, {
          safety,
          credential: opts.credential,
          logger: opts.logger,
          signal: opts.signal,
          explainAuthFailure,
        });
  // The chosen host only: a failover since then fails here rather than moving bench to another server.
  const pinned: ResolvedConnection = { ...r, hosts: [connected.info.host], loadBalance: false };
  return {
    ...connected,
    reopen: async (s) => (await openSession(pinned, { ...opts, safety: s })).client,
  };
}

/**
 * A session on a plain endpoint (host, port, user, database, password; no TLS options), through
 * openSession: what tests and a sweep given only a target use. A target carrying TLS options came
 * from a session: reopen that session instead, so its verification is kept.
 */
export async function openTargetSession(
  target: ConnectionTarget,
  safety: SessionSafety = defaultSafety,
): Promise<Client> {
  if (target.ssl && typeof target.ssl === 'object')
    throw new PgOpsError(
      'conn-target-tls',
      `Cannot reopen ${target.user}@${target.host}:${target.port} from its fields: it has TLS options`,
      "Reopen it through the session that chose it (openSession's reopen), which keeps its certificate checks.",
    );
  const params: Record<string, string> = {
    host: target.host,
    port: String(target.port),
    user: target.user,
    dbname: target.database,
    sslmode: target.ssl ? 'require' : 'disable',
  };
  if (target.connectTimeoutMs) params.connect_timeout = String(Math.ceil(target.connectTimeoutMs / 1000));
  // No PG* variable or service file may change an endpoint that is already decided.
  const r = resolveConnection(params, { ...defaultResolveContext({}), env: {} });
  const password = target.password;
  const credential: CredentialSource | undefined =
    password === undefined ? undefined : { label: 'the given password', get: () => Promise.resolve(password) };
  return (await openSession(r, { credential, safety })).client;
}
