import { PgOpsError } from '../errors';
import { isUri, parseConnString } from './conninfo';
import type { ConnParams } from './params';
import type { ResolvedConnection } from './resolve';
import { defaultResolveContext, resolveConnection } from './resolve';

/** The CLI's connection flags: `--conn` and psql's `-h -p -U -d`. */
export interface CliConnInput {
  conn?: string;
  host?: string;
  port?: string;
  username?: string;
  dbname?: string;
}

/** The PG* variables that say where to connect (or which service): with one set, psql needs no argument. */
export const whereEnvVars = ['PGSERVICE', 'PGHOST', 'PGHOSTADDR', 'PGPORT', 'PGDATABASE', 'PGUSER'] as const;

/** Whether the flags or the environment name a connection at all (else the CLI asks for one rather than guess). */
export function namesConnection(input: CliConnInput, env: NodeJS.ProcessEnv): boolean {
  const given = [input.conn, input.host, input.port, input.username, input.dbname].some((v) => v !== undefined);
  return given || whereEnvVars.some((v) => !!env[v]);
}

/**
 * The keywords of the CLI's flags, read as psql reads its own: `-h -p -U` set host, port and user; `-d`
 * (a database name, or a conninfo or URI as psql allows) and `--conn` are psql's connection argument,
 * expanded after them, so a keyword written in it wins over a flag (`-h a --conn "host=b"` goes to b).
 */
export function cliConnParams(input: CliConnInput): ConnParams {
  const dIsConnString = input.dbname !== undefined && (isUri(input.dbname) || input.dbname.includes('='));
  if (dIsConnString && input.conn !== undefined)
    throw new PgOpsError(
      'conn-twice',
      'Both -d and --conn give a connection string',
      'Give the connection string once: either -d "host=… dbname=…" or --conn, as psql takes one connection argument.',
    );
  const params: ConnParams = {};
  const flag = (k: string, v: string | undefined) => {
    if (v !== undefined && v !== '') params[k] = v;
  };
  flag('host', input.host);
  flag('port', input.port);
  flag('user', input.username);
  for (const text of [input.dbname, input.conn]) {
    if (text !== undefined) Object.assign(params, parseConnString(text));
  }
  return params;
}

/**
 * The CLI's connection: `--conn` (a URI, a conninfo string, `service=NAME` or a bare database name)
 * and psql's `-h -p -U -d`, completed from the PG* environment, the service files and pgpass exactly as psql would.
 */
export function resolveCliConnection(input: string | CliConnInput, env: NodeJS.ProcessEnv): ResolvedConnection {
  const flags = typeof input === 'string' ? { conn: input } : input;
  return resolveConnection(cliConnParams(flags), defaultResolveContext(env));
}
