import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import { parseConnString } from './conninfo';
import type { ConnParams, SslMode, TargetSessionAttrs } from './params';
import { keywordEnv, validateParams } from './params';
import type { PgpassLookup } from './pgpass';
import { lookupPgpass } from './pgpass';
import { lookupService, serviceFileLocations } from './serviceFile';

/** The outside facts libpq's resolution reads; tests pass their own. */
export interface ResolveContext {
  env: NodeJS.ProcessEnv;
  homeDir: string;
  osUser: string;
  /** libpq's DEFAULT_PGSOCKET_DIR: /var/run/postgresql for Debian's libpq, /tmp upstream. */
  defaultSocketDir: string;
  /** libpq's SYSCONFDIR, where pg_service.conf lives when PGSYSCONFDIR is not set. */
  sysconfDir: string;
}

export function defaultResolveContext(env: NodeJS.ProcessEnv = process.env): ResolveContext {
  const home = env.HOME || os.homedir();
  return {
    env,
    homeDir: home,
    osUser: os.userInfo().username,
    defaultSocketDir: fs.existsSync('/var/run/postgresql') ? '/var/run/postgresql' : '/tmp',
    sysconfDir: '/etc/postgresql-common',
  };
}

export type ValueSource = 'input' | 'service' | 'env' | 'default';

/** One endpoint of a (possibly multi-host) connection, in the order libpq tries them. */
export interface HostSpec {
  /** Name used for TLS verification and pgpass; a socket directory for Unix sockets. */
  host: string;
  /** Numeric address to connect to instead of resolving `host` (libpq's hostaddr). */
  hostaddr?: string;
  port: number;
  socket: boolean;
}

export interface ResolvedConnection {
  /** Every value after libpq's precedence: input > service file > PG* environment > default. */
  params: ConnParams;
  sources: Record<string, ValueSource>;
  hosts: HostSpec[];
  user: string;
  dbname: string;
  sslmode: SslMode;
  targetSessionAttrs: TargetSessionAttrs;
  loadBalance: boolean;
  /** Per attempt, as libpq's connect_timeout (seconds, minimum 2); undefined waits indefinitely. */
  connectTimeoutMs?: number;
  passfile: string;
  service?: { name: string; file: string };
  /** Things libpq would print as warnings (e.g. an ignored pgpass). Never contain secrets. */
  warnings: string[];
  context: ResolveContext;
}

/** Resolves a URI / conninfo / `service=NAME` string (or already-parsed params) like libpq. */
export function resolveConnection(
  input: string | ConnParams,
  ctx: ResolveContext = defaultResolveContext(),
): ResolvedConnection {
  const given = typeof input === 'string' ? parseConnString(input) : { ...input };
  validateParams(given, 'the connection string');
  const params: ConnParams = {};
  const sources: Record<string, ValueSource> = {};
  const set = (k: string, v: string | undefined, src: ValueSource) => {
    if (v === undefined || k in params) return;
    params[k] = v;
    sources[k] = src;
  };
  for (const [k, v] of Object.entries(given)) set(k, v, 'input');

  let service: ResolvedConnection['service'];
  const serviceName = params.service ?? ctx.env.PGSERVICE;
  if (serviceName) {
    const def = lookupService(serviceName, serviceFileLocations(ctx, params.servicefile));
    validateParams(def.params, `service "${serviceName}" in ${def.file}`);
    for (const [k, v] of Object.entries(def.params)) set(k, v, 'service');
    set('service', serviceName, 'env');
    service = { name: serviceName, file: def.file };
  }
  for (const [k, envVar] of Object.entries(keywordEnv)) {
    const v = ctx.env[envVar ?? ''];
    if (!envVar || envVar === 'PGSERVICE' || v === undefined || v === '') continue;
    // a bad value names its variable; one that input or the service overrides is never used, as in libpq
    if (!(k in params)) validateParams({ [k]: v }, `the environment variable ${envVar}`);
    set(k, v, 'env');
  }
  validateParams(params, 'the PG* environment');
  set('user', ctx.osUser, 'default');
  set('dbname', params.user, 'default');
  set('port', '5432', 'default');
  set('sslmode', 'prefer', 'default');
  set('target_session_attrs', 'any', 'default');
  set('load_balance_hosts', 'disable', 'default');
  set('passfile', path.join(ctx.homeDir, '.pgpass'), 'default');

  return {
    params,
    sources,
    hosts: hostList(params, ctx),
    user: params.user,
    dbname: params.dbname,
    sslmode: params.sslmode as SslMode,
    targetSessionAttrs: params.target_session_attrs as TargetSessionAttrs,
    loadBalance: params.load_balance_hosts === 'random',
    connectTimeoutMs: connectTimeout(params.connect_timeout),
    passfile: params.passfile,
    service,
    warnings: [],
    context: ctx,
  };
}

/** host/hostaddr/port lists expanded to endpoints, with libpq's count rules and defaults. */
function hostList(p: ConnParams, ctx: ResolveContext): HostSpec[] {
  const split = (v: string | undefined) => (v === undefined || v === '' ? [] : v.split(',').map((s) => s.trim()));
  const names = split(p.host);
  const addrs = split(p.hostaddr);
  const ports = split(p.port);
  if (names.length && addrs.length && names.length !== addrs.length) {
    throw new PgOpsError(
      'conninfo',
      `could not match ${names.length} host names to ${addrs.length} hostaddr values`,
      'Give as many hostaddr values as host names, or drop hostaddr.',
    );
  }
  const count = Math.max(names.length, addrs.length, 1);
  if (ports.length > 1 && ports.length !== count) {
    throw new PgOpsError(
      'conninfo',
      `could not match ${ports.length} port numbers to ${count} hosts`,
      'Give one port for all hosts or one port per host.',
    );
  }
  const out: HostSpec[] = [];
  for (let i = 0; i < count; i++) {
    const addr = addrs[i] || undefined;
    let host = names[i] ?? '';
    if (host === '' && !addr) host = ctx.defaultSocketDir;
    const portText = ports.length === 1 ? ports[0] : ports[i];
    out.push({
      host: host || addr || '',
      hostaddr: addr,
      port: portText ? Number(portText) : 5432,
      socket: !addr && host.startsWith('/'),
    });
  }
  return out;
}

function connectTimeout(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const s = Number(v.trim());
  if (s <= 0) return undefined;
  return Math.max(s, 2) * 1000;
}

/** libpq's password for one host: pgpass is read only when no password was given. */
export function pgpassFor(r: ResolvedConnection, h: HostSpec): PgpassLookup & { file: string } {
  // libpq matches "localhost" for the default socket directory; other socket paths match literally.
  const host = h.socket && h.host === r.context.defaultSocketDir ? 'localhost' : h.host;
  return {
    ...lookupPgpass(r.passfile, { host, port: String(h.port), dbname: r.dbname, user: r.user }),
    file: r.passfile,
  };
}

/** `user@host:port/db` for messages: never includes a password. */
export function describeHost(r: Pick<ResolvedConnection, 'user' | 'dbname'>, h: HostSpec): string {
  const where = h.socket
    ? `socket ${h.host}/.s.PGSQL.${h.port}`
    : `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
  return `${r.user}@${where}/${r.dbname}`;
}
