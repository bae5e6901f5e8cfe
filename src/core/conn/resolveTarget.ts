import * as os from 'node:os';
import { parse as parseUri } from 'pg-connection-string';
import { PgOpsError } from '../errors';
import type { ConnectionTarget } from './session';

/**
 * Minimal first version: URI or key=value conninfo, completed from PG* variables. The full libpq
 * resolution (service files, pgpass, multi-host, TLS) replaces the body of this function.
 */
export async function resolveCliTarget(conn: string, env: NodeJS.ProcessEnv): Promise<ConnectionTarget> {
  const fields: Record<string, string | undefined> = {};
  if (/^postgres(ql)?:\/\//.test(conn)) {
    let parsed: ReturnType<typeof parseUri>;
    try {
      parsed = parseUri(conn);
    } catch (err) {
      throw new PgOpsError('conninfo', `Malformed connection URI: ${(err as Error).message}`, 'Use postgresql://user@host:port/dbname', { cause: err });
    }
    Object.assign(fields, { host: parsed.host ?? undefined, port: parsed.port ?? undefined, user: parsed.user, dbname: parsed.database ?? undefined, password: parsed.password });
  } else {
    for (const m of conn.matchAll(/(\w+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|(\S+))/g)) fields[m[1]] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
  }
  const user = fields.user ?? env.PGUSER ?? os.userInfo().username;
  return {
    host: fields.host ?? env.PGHOST ?? '/var/run/postgresql',
    port: Number(fields.port ?? env.PGPORT ?? 5432),
    user,
    database: fields.dbname ?? env.PGDATABASE ?? user,
    password: fields.password ?? env.PGPASSWORD,
  };
}
