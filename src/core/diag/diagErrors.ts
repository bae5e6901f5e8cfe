import { PgOpsError } from '../errors';

/** The predefined role that would let a monitoring user read what failed. */
export type MonitoringRole = 'pg_monitor' | 'pg_read_all_stats' | 'pg_stat_scan_tables' | 'REPLICATION' | 'superuser';

const connectionLost =
  /Connection terminated|ECONNRESET|EPIPE|Client has encountered a connection error|not queryable|terminating connection/i;

/**
 * Turns a server error of a diagnostic query into what the user can act on: permission denied
 * names the role to GRANT, a timeout names the setting, a lost connection says to reconnect.
 */
export function diagError(err: unknown, what: string, role: MonitoringRole = 'pg_monitor'): PgOpsError {
  if (PgOpsError.is(err)) return err;
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  if (e.code === '42501') {
    const grant =
      role === 'REPLICATION'
        ? 'ALTER ROLE <user> REPLICATION (or use a superuser connection)'
        : role === 'superuser'
          ? 'a superuser connection'
          : `GRANT ${role} TO <user>`;
    return new PgOpsError(
      'diag-permission',
      `${what}: permission denied (${message})`,
      `Ask an administrator for ${grant}; pg_monitor includes pg_read_all_stats and pg_stat_scan_tables.`,
      { cause: err },
    );
  }
  if (e.code === '57014') {
    return new PgOpsError(
      'diag-timeout',
      `${what}: cancelled by statement_timeout`,
      'The server is busy or the statistics are large: raise the setting pgops.session.statementTimeout, or lower the number of items shown.',
      { cause: err },
    );
  }
  if (e.code === '57P01' || e.code === '08006' || e.code === '08003' || connectionLost.test(message)) {
    return new PgOpsError(
      'diag-connection-lost',
      `${what}: the connection to the server was lost (${message})`,
      'Reconnect the profile (Connections view) and refresh.',
      { cause: err },
    );
  }
  if (e.code === '55000' && /must be loaded via/.test(message)) {
    return new PgOpsError(
      'pgss-not-preloaded',
      `${what}: pg_stat_statements is not loaded by the server`,
      "Add pg_stat_statements to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = '…,pg_stat_statements') and restart the server.",
      { cause: err },
    );
  }
  return new PgOpsError(
    'diag-failed',
    `${what}: ${message}`,
    'See the logs (Postgres Ops: Show Logs) for the query that failed.',
    { cause: err },
  );
}

/** Runs a diagnostic step and converts its failure with diagError. */
export async function diagStep<T>(what: string, role: MonitoringRole, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw diagError(err, what, role);
  }
}
