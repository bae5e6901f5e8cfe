import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import { PgOpsError } from '../errors';
import { pinnedSearchPath, searchPathOption } from '../sql';

/** One server endpoint to open a session on, after all libpq-style resolution is done. */
export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  password?: string;
  ssl?: ClientConfig['ssl'];
  connectTimeoutMs?: number;
}

/** Settings of a diagnostic session: read-only, bounded in time and in the locks it waits for. */
export interface SessionSafety {
  applicationName: string;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  readOnly: boolean;
}

export const defaultSafety: SessionSafety = {
  applicationName: 'pgops',
  statementTimeoutMs: 5000,
  lockTimeoutMs: 1000,
  readOnly: true,
};

/**
 * The startup `options` string carrying the safety settings, applied before the first query runs:
 * timeouts, read-only when asked, and always the pinned search_path.
 */
export function safetyOptions(s: SessionSafety): string {
  const parts = [`-c statement_timeout=${s.statementTimeoutMs}`, `-c lock_timeout=${s.lockTimeoutMs}`];
  if (s.readOnly) parts.push('-c default_transaction_read_only=on');
  parts.push(searchPathOption(pinnedSearchPath));
  return parts.join(' ');
}

/** The user's own `options` (conninfo, PGOPTIONS) first, ours after them: the server applies the last `-c` of a name. */
export function startupOptions(userOptions: string | undefined, s: SessionSafety): string {
  return userOptions ? `${userOptions} ${safetyOptions(s)}` : safetyOptions(s);
}

export function describeTarget(t: Pick<ConnectionTarget, 'host' | 'port' | 'user' | 'database'>): string {
  const where = t.host.startsWith('/') ? `socket ${t.host}/.s.PGSQL.${t.port}` : `${t.host}:${t.port}`;
  return `${t.user}@${where}/${t.database}`;
}

/** Opens a session with the safety settings; connection errors name the target and say what to check. */
export async function openSession(target: ConnectionTarget, safety: SessionSafety = defaultSafety): Promise<Client> {
  const client = new Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    password: target.password,
    ssl: target.ssl,
    application_name: safety.applicationName,
    options: safetyOptions(safety),
    connectionTimeoutMillis: target.connectTimeoutMs ?? 10_000,
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectionError(target, err);
  }
  return client;
}

export function connectionError(target: ConnectionTarget, err: unknown): PgOpsError {
  const e = err as { code?: string; message?: string };
  const where = describeTarget(target);
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') {
    return new PgOpsError(
      'conn-refused',
      `No PostgreSQL server answers at ${where}`,
      'Check that the server runs and listens on that host and port (listen_addresses, port, unix_socket_directories).',
      { cause: err },
    );
  }
  if (e.code === '28P01' || e.code === '28000') {
    return new PgOpsError(
      'conn-auth',
      `Authentication failed for ${where}: ${e.message ?? ''}`,
      'Check the user, the password (Secret Storage or ~/.pgpass) and the pg_hba.conf rule for this connection.',
      { cause: err },
    );
  }
  if (e.code === '3D000') {
    return new PgOpsError(
      'conn-db',
      `Database "${target.database}" does not exist on ${where}`,
      'Choose an existing database (dbname).',
      { cause: err },
    );
  }
  return new PgOpsError(
    'conn-failed',
    `Cannot connect to ${where}: ${e.message ?? String(err)}`,
    'Check the connection parameters and that the server is reachable.',
    { cause: err },
  );
}

/** The server's version number (server_version_num), e.g. 180004 for 18.4; the major is its first digits. */
export async function serverVersionNum(client: Client): Promise<number> {
  const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(r.rows[0].v);
}
