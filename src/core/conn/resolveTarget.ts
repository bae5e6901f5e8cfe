import type { ResolvedConnection } from './resolve';
import { defaultResolveContext, resolveConnection } from './resolve';

/**
 * The CLI's `--conn`: a URI, a conninfo string, `service=NAME` or a bare database name, completed
 * from the PG* environment, the service files and pgpass exactly as psql would.
 */
export function resolveCliConnection(conn: string, env: NodeJS.ProcessEnv): ResolvedConnection {
  return resolveConnection(conn, defaultResolveContext(env));
}
