import { PgOpsError } from '../errors';
import type { HostSpec, ResolvedConnection } from './resolve';
import { describeHost } from './resolve';
import { effectiveSslMode } from './tls';

/** Why one attempt on one host failed, in words safe to show (no secrets). */
export interface AttemptFailure {
  where: string;
  host: HostSpec;
  tls: boolean;
  kind: 'network' | 'auth' | 'no-password' | 'tls' | 'session-type' | 'database' | 'server' | 'cancelled';
  reason: string;
  /** SQLSTATE or Node error code. */
  code?: string;
  /** Where the password came from ("~/.pgpass line 3", "Secret Storage"…), or "ignored:permissions|not-a-file:FILE". */
  passwordSource?: string;
  error?: unknown;
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EPIPE',
  'EACCES',
]);

export function classifyFailure(
  r: ResolvedConnection,
  h: HostSpec,
  tls: boolean,
  err: unknown,
  passwordSource: string | undefined,
): AttemptFailure {
  const e = (err ?? {}) as { code?: string; message?: string };
  const message = e.message ?? String(err);
  const base = { where: describeHost(r, h), host: h, tls, code: e.code, passwordSource, error: err };
  if (PgOpsError.is(err, 'conn-require-auth')) return { ...base, kind: 'auth', reason: message };
  if (e.code && networkCodes.has(e.code)) {
    const why =
      e.code === 'ECONNREFUSED' || e.code === 'ENOENT'
        ? 'connection refused (no server listening)'
        : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
          ? 'host name not found'
          : e.code === 'EACCES'
            ? 'permission denied on the socket'
            : message;
    return { ...base, kind: 'network', reason: why };
  }
  if (/timeout/i.test(message) && !e.code)
    return { ...base, kind: 'network', reason: `timeout expired after ${(r.connectTimeoutMs ?? 10_000) / 1000} s` };
  if (/Connection terminated unexpectedly/i.test(message))
    return { ...base, kind: 'network', reason: 'server closed the connection unexpectedly' };
  if (
    PgOpsError.is(err, 'conn-no-password') ||
    /password must be a (non-empty )?string|Password must be a string/i.test(message)
  ) {
    return { ...base, kind: 'no-password', reason: 'the server asked for a password and none was supplied' };
  }
  if (e.code === '28P01' || e.code === '28000') return { ...base, kind: 'auth', reason: message };
  if (e.code === '3D000') return { ...base, kind: 'database', reason: message };
  if (/does not support SSL/i.test(message))
    return { ...base, kind: 'tls', reason: 'server does not support SSL, but SSL was required' };
  if (/certificate|self[- ]signed|SSL|TLS|altname|CERT_|ERR_SSL/i.test(message + (e.code ?? '')))
    return { ...base, kind: 'tls', reason: message };
  if (e.code === '57P03' || e.code === '53300') return { ...base, kind: 'network', reason: message };
  return { ...base, kind: 'server', reason: message };
}

/**
 * One error for all attempts. A single attempt reads like libpq's message for it; several list
 * each host with its reason. Authentication failures get pg_hba advice when an explainer knows it.
 */
export async function combineFailures(
  r: ResolvedConnection,
  attempts: AttemptFailure[],
  explain?: (f: AttemptFailure) => Promise<{ message: string; hint: string } | undefined>,
): Promise<PgOpsError> {
  // with sslmode prefer or allow, a server without TLS is no failure but the step to the plain attempt on that host
  // (libpq never reports it); left in, "TLS failed" would hide why the plain attempt failed
  const failures = withoutTlsFallbacks(r, attempts);
  const worst = pickWorst(failures);
  if (!worst) return new PgOpsError('conn-failed', 'No host to connect to', 'Give at least one host.');
  const list =
    failures.length > 1
      ? ` (tried ${failures.map((f) => `${f.where}${f.tls ? ' with TLS' : ''}: ${f.reason}`).join('; ')})`
      : '';
  const where = failures.length > 1 ? `any of ${new Set(failures.map((f) => f.where)).size} hosts` : worst.where;
  const cause = { cause: worst.error };
  switch (worst.kind) {
    case 'no-password': {
      const ignored = /^ignored:(permissions|not-a-file):(.*)$/s.exec(worst.passwordSource ?? '');
      if (ignored?.[1] === 'permissions') {
        return new PgOpsError(
          'pgpass-permissions',
          `Cannot connect to ${where}: the server asked for a password and the password file ` +
            `"${ignored[2]}" was ignored because it has group or world access${list}`,
          `Run: chmod 0600 ${ignored[2]}  (libpq ignores password files others can read).`,
          cause,
        );
      }
      if (ignored) {
        return new PgOpsError(
          'pgpass-not-a-file',
          `Cannot connect to ${where}: the server asked for a password and the password file "${ignored[2]}" was ignored because it is not a plain file${list}`,
          'Point PGPASSFILE (or passfile) at a password file, or unset it to use ~/.pgpass.',
          cause,
        );
      }
      return new PgOpsError(
        'conn-no-password',
        `Cannot connect to ${where}: the server asked for a password and none was supplied${list}`,
        `Store the password (Edit Connection), add a line to ${r.passfile}, or set PGPASSWORD.`,
        cause,
      );
    }
    case 'auth': {
      const advice = explain ? await explain(worst).catch(() => undefined) : undefined;
      const from =
        worst.passwordSource && worst.passwordSource !== 'none' ? ` (password from ${worst.passwordSource})` : '';
      return new PgOpsError(
        'conn-auth',
        `Authentication failed for ${where}: ${worst.reason}${from}${list}${advice ? `. ${advice.message}` : ''}`,
        advice?.hint ??
          'Check the user, the password (Secret Storage or ~/.pgpass) and the pg_hba.conf rule for this connection.',
        cause,
      );
    }
    case 'session-type':
      return new PgOpsError(
        'conn-session-type',
        `No host of ${r.params.host ?? 'the list'} has the session type ` +
          `target_session_attrs=${r.targetSessionAttrs} asks for${list || `: ${worst.where}: ${worst.reason}`}`,
        'Check which server is the primary, or relax target_session_attrs.',
        cause,
      );
    case 'tls':
      return new PgOpsError(
        'conn-tls',
        `TLS failed for ${where} (${sslModeText(r)}): ${worst.reason}${list}`,
        'Check sslmode, sslrootcert (the CA that signed the server certificate), the host name in the certificate, and sslcert/sslkey.',
        cause,
      );
    case 'database':
      return new PgOpsError(
        'conn-db',
        `Database "${r.dbname}" does not exist on ${where}${list}`,
        'Choose an existing database (dbname).',
        cause,
      );
    case 'network':
      return new PgOpsError(
        'conn-refused',
        `No PostgreSQL server answers at ${where}: ${worst.reason}${list}`,
        'Check that the server runs and listens on that host and port (listen_addresses, port, unix_socket_directories).',
        cause,
      );
    default:
      return new PgOpsError(
        'conn-failed',
        `Cannot connect to ${where}: ${worst.reason}${list}`,
        'Check the connection parameters and that the server is reachable.',
        cause,
      );
  }
}

/** The sslmode in force: sslrootcert=system without an sslmode means verify-full (libpq 16+). */
function sslModeText(r: ResolvedConnection): string {
  const mode = effectiveSslMode(r);
  return mode === r.sslmode ? `sslmode=${mode}` : `sslmode=${mode}, implied by sslrootcert=system`;
}

/** The failure that says most about what the user must fix: auth beats TLS beats network. */
function withoutTlsFallbacks(r: ResolvedConnection, failures: AttemptFailure[]): AttemptFailure[] {
  const mode = effectiveSslMode(r);
  if (mode !== 'prefer' && mode !== 'allow') return failures;
  return failures.filter(
    (f) =>
      !(
        f.kind === 'tls' &&
        /does not support SSL/.test(f.reason) &&
        failures.some((g) => g.where === f.where && !g.tls)
      ),
  );
}

function pickWorst(failures: AttemptFailure[]): AttemptFailure | undefined {
  const rank: AttemptFailure['kind'][] = [
    'no-password',
    'auth',
    'database',
    'tls',
    'server',
    'session-type',
    'network',
    'cancelled',
  ];
  return [...failures].sort((a, b) => rank.indexOf(a.kind) - rank.indexOf(b.kind))[0];
}
