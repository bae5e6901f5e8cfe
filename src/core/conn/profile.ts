import * as os from 'node:os';
import { PgOpsError } from '../errors';
import type { ConnectionTarget } from './session';

/**
 * A saved connection as it lives in settings: libpq keywords, never a secret.
 * `id` is stable for the life of the profile (secrets are keyed by it).
 */
export interface ConnectionProfile {
  id: string;
  name: string;
  host?: string;
  port?: number;
  user?: string;
  dbname?: string;
  production?: boolean;
  /** The local sandbox's own profile (managed by pgops, not stored in settings). */
  sandbox?: boolean;
}

/** Reads the `pgops.connections` setting, naming the entry that is malformed. */
export function parseProfiles(raw: unknown): ConnectionProfile[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PgOpsError('settings', 'Setting pgops.connections must be an array of profiles', 'Fix it in settings.json.');
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const e = entry as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || e.name.trim() === '') {
      throw new PgOpsError('settings', `pgops.connections[${i}] has no "name"`, 'Give every connection profile a name.');
    }
    if (seen.has(e.name)) throw new PgOpsError('settings', `pgops.connections has two profiles named "${e.name}"`, 'Profile names must be unique.');
    seen.add(e.name);
    if (e.port !== undefined && (typeof e.port !== 'number' || !Number.isInteger(e.port) || e.port <= 0 || e.port > 65535)) {
      throw new PgOpsError('settings', `pgops.connections[${i}] ("${e.name}") has an invalid port: ${JSON.stringify(e.port)}`, 'Use a port number between 1 and 65535.');
    }
    return {
      id: typeof e.id === 'string' ? e.id : `settings:${e.name}`,
      name: e.name,
      host: typeof e.host === 'string' ? e.host : undefined,
      port: typeof e.port === 'number' ? e.port : undefined,
      user: typeof e.user === 'string' ? e.user : undefined,
      dbname: typeof e.dbname === 'string' ? e.dbname : undefined,
      production: e.production === true,
    };
  });
}

/** libpq defaults for what a profile leaves out: local socket, 5432, the OS user, dbname = user. */
export function profileTarget(p: ConnectionProfile, password?: string): ConnectionTarget {
  const user = p.user ?? os.userInfo().username;
  return { host: p.host ?? '/var/run/postgresql', port: p.port ?? 5432, user, database: p.dbname ?? user, password };
}
