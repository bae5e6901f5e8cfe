/**
 * What to tell a user whose connection failed with SQLSTATE 28000 / 28P01: which pg_hba.conf rule the
 * server used (file, line), its method, and what to do next — not just the server's text.
 */
import type { HbaAttempt, HbaMatch, MatchEnvironment } from './match';
import { matchHbaRule } from './match';
import { maskSecrets } from './options';
import type { HbaMethod, HbaRule } from './types';

export interface AuthFailureExplanation {
  /** The rule the server used, or null when no rule matches (or it cannot be decided). */
  rule: { file: string; line: number; text: string } | null;
  method: HbaMethod | null;
  /** One sentence: what the server decided. */
  summary: string;
  /** What the user should do. */
  nextStep: string;
  match: HbaMatch;
}

/** True for the errors this module explains: invalid_authorization_specification, invalid_password, no pg_hba.conf entry. */
export function isAuthFailure(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    e?.code === '28000' ||
    e?.code === '28P01' ||
    (typeof e?.message === 'string' && /no pg_hba\.conf entry|pg_hba\.conf rejects connection/.test(e.message))
  );
}

/** The server's refusal of a replication connection: host, user and encryption. */
const replicationRefusal = new RegExp(
  '(?:no pg_hba\\.conf entry for replication connection from|pg_hba\\.conf rejects replication connection for) ' +
    'host "([^"]*)", user "([^"]*)"(?:, (SSL|GSS|no) encryption)?',
);

/**
 * The attempt as the server saw it, read from its "no pg_hba.conf entry" / "rejects connection" message:
 * the client address there is the one the server matched against, which the client may not know.
 */
export function attemptFromServerMessage(message: string): Partial<HbaAttempt> | undefined {
  const repl = replicationRefusal.exec(message);
  if (repl) return { ...where(repl[1], repl[3]), user: repl[2], replication: 'physical' };
  const m =
    /(?:no pg_hba\.conf entry for|pg_hba\.conf rejects connection for) host "([^"]*)", user "([^"]*)", database "([^"]*)"(?:, (SSL|GSS|no) encryption)?/.exec(
      message,
    );
  if (!m) return undefined;
  return { ...where(m[1], m[4]), user: m[2], database: m[3] };
}

function where(host: string, encryption: string | undefined): Partial<HbaAttempt> {
  if (host === '[local]') return { connection: 'local' };
  return { connection: 'host', address: host, ssl: encryption === 'SSL', gssenc: encryption === 'GSS' };
}

const methodSteps: Record<HbaMethod, string> = {
  trust:
    'This line lets the connection in without a password, so the failure comes after pg_hba: ' +
    'check that the role exists, has LOGIN, and may CONNECT to the database.',
  reject:
    'This line refuses the connection on purpose. Connect as another user, to another database ' +
    'or from another address that an earlier line allows — or ask the DBA to change the line ' +
    'and reload (SELECT pg_reload_conf()).',
  'scram-sha-256':
    'The server asked for a password (SCRAM). Check the password in ~/.pgpass or the saved ' +
    'secret; the role needs a SCRAM verifier (set it again with \\password when ' +
    'password_encryption = scram-sha-256).',
  md5:
    'The server asked for a password (md5, or SCRAM when the stored password is a SCRAM ' +
    'verifier). Check the password; md5 is deprecated in PostgreSQL 18 — move the line to ' +
    'scram-sha-256.',
  password:
    'The server asked for a clear-text password. Check the password; this method sends it unencrypted unless the connection uses SSL.',
  peer:
    'Peer authentication compares your operating-system user with the role: connect over the ' +
    'Unix socket as the OS user with the same name, or use a map= entry in pg_ident.conf that ' +
    'allows your OS user to log in as this role.',
  ident:
    'Ident asks an ident server on the client machine (TCP port 113) who you are: run one, or ask for a password method on this line.',
  gss: 'GSSAPI (Kerberos): obtain a ticket (kinit) for a principal that maps to this role, and connect with gssencmode/krbsrvname as the server expects.',
  sspi: 'SSPI (Windows): log in to Windows as a domain user that maps to this role.',
  ldap: 'The server checks the password against LDAP: use your directory password for this user name.',
  radius: 'The server checks the password with RADIUS: use the password your RADIUS server expects.',
  cert:
    'The server authenticates with your client certificate: connect with sslmode=verify-full, ' +
    'sslcert and sslkey for a certificate whose CN (or DN with clientname=DN, or a map=) names ' +
    'this role.',
  pam: 'The server checks the password with PAM (pamservice): use the password PAM expects for this user.',
  bsd: 'BSD authentication: use the password of the matching OS account.',
  oauth:
    'The server wants an OAuth bearer token (PostgreSQL 18): connect with oauth_issuer and ' +
    "oauth_client_id matching the line's issuer; the device flow will ask you to approve the " +
    'login in a browser.',
};

export function describeAttempt(a: HbaAttempt): string {
  const how =
    a.connection === 'local'
      ? 'over the Unix socket'
      : `from ${a.address} (${a.ssl ? 'SSL' : a.gssenc ? 'GSS-encrypted' : 'unencrypted'} TCP)`;
  const what = a.replication === 'physical' ? 'physical replication' : `database "${a.database}"`;
  return `user "${a.user}" to ${what} ${how}`;
}

export function explainMatch(match: HbaMatch, attempt: HbaAttempt): AuthFailureExplanation {
  if (match.kind === 'no-match') {
    const example =
      attempt.connection === 'local'
        ? `local ${attempt.replication === 'physical' ? 'replication' : attempt.database} ${attempt.user} scram-sha-256`
        : `host${attempt.ssl ? 'ssl' : ''} ` +
          `${attempt.replication === 'physical' ? 'replication' : attempt.database} ${attempt.user} ` +
          `${attempt.address}/${attempt.address?.includes(':') ? 128 : 32} scram-sha-256`;
    return {
      rule: null,
      method: null,
      match,
      summary: `No pg_hba.conf line matches ${describeAttempt(attempt)}, so the server refuses it.`,
      nextStep: `Add a line such as "${example}" before any line that would otherwise match, then reload the configuration (SELECT pg_reload_conf()).`,
    };
  }
  const { rule } = match;
  const at = ruleRef(rule);
  if (match.kind === 'undetermined') {
    return {
      rule: at,
      method: null,
      match,
      summary:
        `The server's choice for ${describeAttempt(attempt)} depends on line ${rule.source.line} ` +
        `of ${rule.source.file}, which cannot be decided here: ${match.reason}.`,
      nextStep:
        'Give the missing fact (roles, client host name) or read the server log, which names the line it used ("Connection matched … line N").',
    };
  }
  return {
    rule: at,
    method: rule.method,
    match,
    summary:
      `The server uses line ${rule.source.line} of ${rule.source.file} ` +
      `("${maskSecrets(rule.source.rawLine.trim())}") for ${describeAttempt(attempt)}: method ${rule.method}.`,
    nextStep: methodSteps[rule.method],
  };
}

function ruleRef(rule: HbaRule): { file: string; line: number; text: string } {
  return { file: rule.source.file, line: rule.source.line, text: maskSecrets(rule.source.rawLine.trim()) };
}

/** The explanation for a failed attempt: the rule the server used for it, its method, the next step. */
export function explainAuthFailure(
  rules: HbaRule[],
  attempt: HbaAttempt,
  env: MatchEnvironment = {},
): AuthFailureExplanation {
  return explainMatch(matchHbaRule(rules, attempt, env), attempt);
}
