/**
 * Before (or after) connecting: which pg_hba.conf line the server uses for a profile's attempt, its
 * method, and how pgops answers that method — the password source, the Unix socket and OS user for
 * peer (with the pg_ident line that maps it), the client certificate, the OAuth device flow — or why
 * it cannot.
 */
import { describeAttempt, explainMatch } from './explain';
import type { HbaAttempt, MatchEnvironment } from './match';
import { matchHbaRule, matchIdentMap } from './match';
import type { HbaMethod, HbaRule, IdentRule } from './types';

/** What the client side brings to the attempt. */
export interface AuthClientFacts {
  /** The operating-system user pgops runs as (peer, ident). */
  osUser: string;
  /** Where a password would come from, in order (e.g. "Secret Storage", "~/.pgpass"); empty: pgops asks for one. */
  passwordSources: string[];
  /** The client certificate file, when one is configured or found at libpq's default path. */
  clientCertificate?: string;
  /** oauth_issuer of the profile, when it signs in with OAuth. */
  oauthIssuer?: string;
  /** pg_ident.conf mappings, when known; undefined: not readable (then a map= line is explained, not checked). */
  identRules?: IdentRule[];
}

export interface AuthPlan {
  rule: { file: string; line: number; text: string } | null;
  method: HbaMethod | null;
  /** What the server decides for the attempt (the line and its method). */
  summary: string;
  /** How pgops meets that method, or what the user must change. */
  plan: string;
  /** False when pgops already knows this attempt will be refused (reject, no line, peer over TCP, unmapped user…). */
  canSucceed: boolean;
}

/** The line the server uses for `attempt` and how pgops will authenticate against it. */
export function planAuth(
  rules: HbaRule[],
  attempt: HbaAttempt,
  client: AuthClientFacts,
  env: MatchEnvironment = {},
): AuthPlan {
  const match = matchHbaRule(rules, attempt, env);
  const ex = explainMatch(match, attempt);
  if (match.kind !== 'matched')
    return {
      rule: ex.rule,
      method: null,
      summary: ex.summary,
      plan: ex.nextStep,
      canSucceed: match.kind === 'undetermined',
    };
  const { plan, canSucceed } = methodPlan(match.rule, attempt, client);
  return { rule: ex.rule, method: match.rule.method, summary: ex.summary, plan, canSucceed };
}

function methodPlan(rule: HbaRule, attempt: HbaAttempt, c: AuthClientFacts): { plan: string; canSucceed: boolean } {
  const password = (kind: string): { plan: string; canSucceed: boolean } => ({
    plan: c.passwordSources.length
      ? `pgops answers with the password from ${c.passwordSources.join(', or else ')} (${kind}).`
      : `pgops asks for the password once (${kind}) and offers to keep it in Secret Storage; or put it in ~/.pgpass.`,
    canSucceed: true,
  });
  switch (rule.method) {
    case 'trust':
      return {
        plan: 'No credential is needed: the server lets the role in (the role must exist, have LOGIN and may CONNECT).',
        canSucceed: true,
      };
    case 'reject':
      return {
        plan: `This attempt (${describeAttempt(attempt)}) is refused on purpose: connect another way that an earlier line allows.`,
        canSucceed: false,
      };
    case 'scram-sha-256':
      return password('SCRAM-SHA-256; the password never crosses the network');
    case 'md5':
      return password('md5, or SCRAM when the role has a SCRAM verifier; md5 is deprecated in PostgreSQL 18');
    case 'password':
      return password(attempt.ssl ? 'clear text inside TLS' : 'clear text, unencrypted: prefer sslmode=require');
    case 'peer':
      return peerPlan(rule, attempt, c);
    case 'cert':
      return c.clientCertificate
        ? {
            plan:
              `pgops presents the client certificate ${c.clientCertificate}; its CN (or DN with ` +
              `clientname=DN${rule.options.map ? `, through map "${rule.options.map}"` : ''}) must name role "${attempt.user}".`,
            canSucceed: true,
          }
        : {
            plan:
              'The server wants a client certificate and none is configured: set sslcert and sslkey (or ' +
              'put them at ~/.postgresql/postgresql.crt and .key).',
            canSucceed: false,
          };
    case 'oauth': {
      const issuer = rule.options.issuer;
      if (!c.oauthIssuer)
        return {
          plan:
            `The server wants an OAuth token${issuer ? ` from ${issuer}` : ''}: add ` +
            `oauth_issuer${issuer ? `=${issuer}` : ''} and oauth_client_id to the profile; pgops then runs the device flow.`,
          canSucceed: false,
        };
      if (issuer && issuer !== c.oauthIssuer)
        return {
          plan:
            `The line names issuer ${issuer} but the profile's oauth_issuer is ${c.oauthIssuer}: libpq ` +
            `(and pgops) refuse to send a token to a different issuer. Set oauth_issuer=${issuer}.`,
          canSucceed: false,
        };
      return {
        plan: `pgops signs in at ${c.oauthIssuer} with the device flow (a code to approve in the browser), or reuses the token kept in Secret Storage.`,
        canSucceed: true,
      };
    }
    default:
      return { plan: explainMatch({ kind: 'matched', rule, notes: [] }, attempt).nextStep, canSucceed: true };
  }
}

/** peer: only over the Unix socket; the OS user must be the role, or map to it through the line's pg_ident map. */
function peerPlan(rule: HbaRule, attempt: HbaAttempt, c: AuthClientFacts): { plan: string; canSucceed: boolean } {
  if (attempt.connection !== 'local')
    return {
      plan: 'peer works only over the Unix socket: set host to the socket directory (e.g. /var/run/postgresql).',
      canSucceed: false,
    };
  const map = rule.options.map;
  const via = `pgops connects over the Unix socket as OS user "${c.osUser}"`;
  if (!map) {
    return c.osUser === attempt.user
      ? { plan: `${via}, which is the role's name.`, canSucceed: true }
      : {
          plan:
            `${via}, but the line has no map= and the role is "${attempt.user}": connect as role ` +
            `"${c.osUser}", run as OS user "${attempt.user}", or add map= with a pg_ident.conf line ` +
            `"<map> ${c.osUser} ${attempt.user}".`,
          canSucceed: false,
        };
  }
  if (!c.identRules)
    return {
      plan: `${via}; map "${map}" in pg_ident.conf must allow "${c.osUser}" to log in as "${attempt.user}" (pg_ident mappings not readable here).`,
      canSucceed: true,
    };
  const line = matchIdentMap(c.identRules, map, c.osUser, attempt.user, { memberOf: attempt.memberOf });
  return line
    ? {
        plan: `${via}; line ${line.source.line} of ${line.source.file} in map "${map}" lets "${c.osUser}" log in as "${attempt.user}".`,
        canSucceed: true,
      }
    : {
        plan:
          `${via}, but no line of map "${map}" lets "${c.osUser}" log in as "${attempt.user}": add ` +
          `"${map} ${c.osUser} ${attempt.user}" to pg_ident.conf and reload.`,
        canSucceed: false,
      };
}
