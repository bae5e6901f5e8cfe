/**
 * The auth plan of a resolved connection: the attempt the server will see (socket or TCP, TLS, the
 * client address and role memberships — exact once a session has asked the server) and what this
 * client brings (OS user, password sources in libpq's order, client certificate, OAuth issuer).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import type { AuthClientFacts, AuthPlan, HbaAttempt } from '../auth/hba';
import { planAuth } from '../auth/hba';
import type { HbaRulesAtHand } from './hbaAdvice';
import { loopbackAddress } from './hbaAdvice';
import type { ResolvedConnection } from './resolve';
import { pgpassFor } from './resolve';

/** What only the server can say about a session: the address it saw, TLS, and the login role's memberships. */
export interface ServerSideFacts {
  clientAddress: string | null;
  ssl: boolean;
  memberOf: string[];
}

const serverFactsSql = `WITH RECURSIVE m(oid) AS (
    SELECT roleid FROM pg_catalog.pg_auth_members WHERE member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user)
    UNION SELECT a.roleid FROM pg_catalog.pg_auth_members a JOIN m ON a.member = m.oid)
  SELECT host(inet_client_addr()) AS addr,
    coalesce((SELECT ssl FROM pg_catalog.pg_stat_ssl WHERE pid = pg_backend_pid()), false) AS ssl,
    coalesce((SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_catalog.pg_roles WHERE oid IN (SELECT oid FROM m)), '{}') AS roles`;

/** Asks the server (13–18) how it sees this session; any role may run it. */
export async function readServerSideFacts(client: Client): Promise<ServerSideFacts> {
  const r = await client.query<{ addr: string | null; ssl: boolean; roles: string[] }>(serverFactsSql);
  return { clientAddress: r.rows[0].addr, ssl: r.rows[0].ssl, memberOf: r.rows[0].roles };
}

/**
 * The attempt of the first host as the server will see it. Without server facts: TLS when sslmode's
 * first try uses it, the address only for loopback or IP hosts, memberships unknown.
 */
export function attemptFor(r: ResolvedConnection, facts?: ServerSideFacts): HbaAttempt {
  const h = r.hosts[0];
  const base = { user: r.user, database: r.dbname };
  if (h.socket) return { ...base, connection: 'local', memberOf: facts?.memberOf };
  return {
    ...base,
    connection: 'host',
    memberOf: facts?.memberOf,
    ssl: facts ? facts.ssl : !['disable', 'allow'].includes(r.sslmode),
    address: facts?.clientAddress ?? loopbackAddress(h.hostaddr ?? h.host),
  };
}

/** Where a password would come from, in libpq's order (see connect.ts passwordPlan). */
function passwordSources(r: ResolvedConnection, credentialLabel: string | undefined): string[] {
  const out: string[] = [];
  if (r.params.password !== undefined && r.sources.password !== 'env') out.push('the connection string');
  if (credentialLabel) out.push(credentialLabel);
  if (r.params.password !== undefined && r.sources.password === 'env') out.push('PGPASSWORD');
  const pass = pgpassFor(r, r.hosts[0]);
  if (pass.password !== undefined) out.push(`${pass.file} line ${pass.line}`);
  return out;
}

function clientCertificate(r: ResolvedConnection): string | undefined {
  if (r.params.sslcert) return r.params.sslcert;
  const fallback = path.join(r.context.homeDir, '.postgresql', 'postgresql.crt');
  return fs.existsSync(fallback) ? fallback : undefined;
}

export interface ProfileAuthPlan extends AuthPlan {
  /** Where the rules came from ("the server's pg_hba_file_rules", "the local copy …"). */
  rulesFrom: string;
  attempt: HbaAttempt;
}

/** The plan for `r` under `rules`; `credentialLabel` names the adapter's own source (Secret Storage, a password command) when it has a value. */
export function authPlanFor(
  r: ResolvedConnection,
  rules: HbaRulesAtHand,
  opts: { credentialLabel?: string; facts?: ServerSideFacts } = {},
): ProfileAuthPlan {
  const attempt = attemptFor(r, opts.facts);
  const client: AuthClientFacts = {
    osUser: r.context.osUser,
    passwordSources: passwordSources(r, opts.credentialLabel),
    clientCertificate: clientCertificate(r),
    oauthIssuer: r.params.oauth_issuer || undefined,
    identRules: rules.ident,
  };
  return { ...planAuth(rules.rules, attempt, client), rulesFrom: rules.description, attempt };
}
