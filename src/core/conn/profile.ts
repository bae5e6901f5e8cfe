import { PgOpsError } from '../errors';
import { parsePatroniUrls } from '../ha/patroniRest';
import { isUri, maskUri, parseConnString } from './conninfo';
import type { ConnParams } from './params';
import { secretKeywords, validateParams } from './params';
import type { ResolveContext, ResolvedConnection } from './resolve';
import { defaultResolveContext, resolveConnection } from './resolve';
import type { ConnectionTarget } from './session';

/**
 * A saved connection as it lives in settings: libpq keywords, never a secret.
 * `id` is `settings:NAME` unless the entry sets its own, so renaming a profile changes it (Edit Connection
 * carries the stored secrets over). It finds the profile's secrets, which are handed out only while the
 * profile points where they were saved (secretBinding.ts): settings can name any id.
 * `conninfo` holds anything libpq reads (a URI, keyword=value pairs, `service=NAME`); the
 * separate fields, when set, win over it. The rest (service file, PG* variables, pgpass) is
 * filled in at connect time exactly as libpq does.
 */
export interface ConnectionProfile {
  id: string;
  name: string;
  conninfo?: string;
  host?: string;
  port?: number;
  user?: string;
  dbname?: string;
  production?: boolean;
  /** A program (argument list, no shell) that prints the password or token; see credentialCommand.ts. */
  passwordCommand?: string[];
  /** Seconds a password command's output stays valid when it does not say itself. */
  passwordCommandTtl?: number;
  /**
   * A local copy of the server's pg_hba.conf (`~/` is the home directory): explains a refused
   * connection when the server's own rules were never read (no earlier session, no privilege).
   */
  hbaFile?: string;
  /**
   * The Patroni REST API of the profile's cluster, with Patroni's names for the TLS files (PEM paths, `~/` allowed).
   * Its basic-auth credentials live in Secret Storage (Set Patroni REST API…), never here.
   */
  patroni?: PatroniSettings;
  /** The local sandbox's own profile (managed by pgops, not stored in settings). */
  sandbox?: boolean;
  /** Which settings define the profile (set by the extension): the user's own, or the workspace's, which a repository can ship. */
  origin?: 'user' | 'workspace';
}

export interface PatroniSettings {
  urls: string[];
  cafile?: string;
  certfile?: string;
  keyfile?: string;
}

/** The settings keys of a profile, in the order they are written back. */
export const profileKeys = [
  'name',
  'conninfo',
  'host',
  'port',
  'user',
  'dbname',
  'production',
  'passwordCommand',
  'passwordCommandTtl',
  'hbaFile',
  'patroni',
] as const;

/** Reads the `pgops.connections` setting, naming the entry that is malformed. */
export function parseProfiles(raw: unknown): ConnectionProfile[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw new PgOpsError(
      'settings',
      'Setting pgops.connections must be an array of profiles',
      'Fix it in settings.json.',
    );
  const seen = new Set<string>();
  return raw.map((entry: unknown, i) => {
    const e = entry as Record<string, unknown>;
    if (!e || typeof e !== 'object' || typeof e.name !== 'string' || e.name.trim() === '') {
      throw new PgOpsError(
        'settings',
        `pgops.connections[${i}] has no "name"`,
        'Give every connection profile a name.',
      );
    }
    const where = `pgops.connections[${i}] ("${e.name}")`;
    if (seen.has(e.name))
      throw new PgOpsError(
        'settings',
        `pgops.connections has two profiles named "${e.name}"`,
        'Profile names must be unique.',
      );
    seen.add(e.name);
    if (
      e.port !== undefined &&
      (typeof e.port !== 'number' || !Number.isInteger(e.port) || e.port <= 0 || e.port > 65535)
    ) {
      throw new PgOpsError(
        'settings',
        `${where} has an invalid port: ${JSON.stringify(e.port)}`,
        'Use a port number between 1 and 65535.',
      );
    }
    if (e.conninfo !== undefined && typeof e.conninfo !== 'string')
      throw new PgOpsError(
        'settings',
        `${where}: "conninfo" must be a string`,
        'Use a URI, keyword=value pairs or service=NAME.',
      );
    if (typeof e.conninfo === 'string') checkNoSecrets(e.conninfo, where);
    if (
      e.passwordCommand !== undefined &&
      (!Array.isArray(e.passwordCommand) ||
        e.passwordCommand.length === 0 ||
        !e.passwordCommand.every((a) => typeof a === 'string'))
    ) {
      throw new PgOpsError(
        'settings',
        `${where}: "passwordCommand" must be a non-empty list of strings`,
        'Give the program and each argument as separate strings, e.g. ["aws", "rds", "generate-db-auth-token", "--hostname", "db.example.com"].',
      );
    }
    if (e.hbaFile !== undefined && (typeof e.hbaFile !== 'string' || e.hbaFile.trim() === '')) {
      throw new PgOpsError(
        'settings',
        `${where}: "hbaFile" must be the path of a file, got ${JSON.stringify(e.hbaFile)}`,
        'Give the path of a local copy of the server\'s pg_hba.conf, e.g. "~/db/pg_hba.conf", or remove the key.',
      );
    }
    const patroni = e.patroni === undefined ? undefined : parsePatroniSettings(e.patroni, where);
    return {
      id: typeof e.id === 'string' ? e.id : `settings:${e.name}`,
      name: e.name,
      conninfo: typeof e.conninfo === 'string' && e.conninfo.trim() ? e.conninfo.trim() : undefined,
      host: typeof e.host === 'string' ? e.host : undefined,
      port: typeof e.port === 'number' ? e.port : undefined,
      user: typeof e.user === 'string' ? e.user : undefined,
      dbname: typeof e.dbname === 'string' ? e.dbname : undefined,
      production: e.production === true,
      passwordCommand: Array.isArray(e.passwordCommand) ? e.passwordCommand : undefined,
      passwordCommandTtl:
        typeof e.passwordCommandTtl === 'number' && e.passwordCommandTtl > 0 ? e.passwordCommandTtl : undefined,
      hbaFile: typeof e.hbaFile === 'string' ? e.hbaFile.trim() : undefined,
      patroni,
    };
  });
}

/** A profile's "patroni" entry: {"urls": [...], "cafile"?, "certfile"?, "keyfile"?}, each problem named. */
function parsePatroniSettings(raw: unknown, where: string): PatroniSettings {
  const o = raw as Record<string, unknown>;
  const hint =
    'Write "patroni": {"urls": ["http://10.0.0.1:8008", "http://10.0.0.2:8008"]} (cafile, certfile, keyfile optional).';
  if (!o || typeof o !== 'object' || Array.isArray(o))
    throw new PgOpsError('settings', `${where}: "patroni" must be an object`, hint);
  const urls = Array.isArray(o.urls) && o.urls.every((u) => typeof u === 'string') ? o.urls : undefined;
  if (!urls) throw new PgOpsError('settings', `${where}: "patroni.urls" must be a list of REST URLs`, hint);
  const files: Partial<PatroniSettings> = {};
  for (const key of ['cafile', 'certfile', 'keyfile'] as const) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.trim() === '')
      throw new PgOpsError('settings', `${where}: "patroni.${key}" must be the path of a PEM file`, hint);
    files[key] = v.trim();
  }
  return { urls: parsePatroniUrls(urls, `${where} patroni.urls`), ...files };
}

/** Settings never hold a secret: a conninfo with a password is refused, naming the profile (not the value). */
function checkNoSecrets(conninfo: string, where: string): void {
  let params: ConnParams;
  try {
    params = parseConnString(conninfo);
  } catch (err) {
    throw new PgOpsError(
      'settings',
      `${where}: ${(err as Error).message}`,
      (err as PgOpsError).hint ?? 'Fix the conninfo in settings.json.',
      { cause: err },
    );
  }
  const secret = Object.keys(params).find((k) => secretKeywords.has(k));
  if (secret) {
    throw new PgOpsError(
      'settings',
      `${where}: conninfo contains "${secret}"; settings must not hold secrets`,
      'Remove it from settings and use Edit Connection → Set Password (stored in VS Code Secret Storage), ~/.pgpass, or a passwordCommand.',
    );
  }
  validateParams(params, where);
}

/** The libpq keywords a profile stands for: its conninfo, overridden by its separate fields. */
export function profileParams(p: ConnectionProfile): ConnParams {
  const params = p.conninfo ? parseConnString(p.conninfo) : {};
  if (p.host !== undefined && p.host !== '') params.host = p.host;
  if (p.port !== undefined) params.port = String(p.port);
  if (p.user !== undefined && p.user !== '') params.user = p.user;
  if (p.dbname !== undefined && p.dbname !== '') params.dbname = p.dbname;
  return params;
}

/**
 * What the user pasted or typed when adding a connection: a URI, conninfo, `service=NAME`, or
 * a bare host. The password (if any) is split off for Secret Storage; the rest becomes conninfo.
 */
export function profileFromInput(input: string): {
  conninfo: string;
  password?: string;
  oauthClientSecret?: string;
  summary: string;
} {
  const text = input.trim();
  const looksLikeConnString = isUri(text) || text.includes('=');
  const params = looksLikeConnString ? parseConnString(text) : { host: text };
  // Secrets go to SecretStorage, never into the conninfo kept in settings.
  const { password, oauth_client_secret: oauthClientSecret } = params;
  delete params.password;
  delete params.oauth_client_secret;
  if (isUri(text)) {
    const conninfo = password === undefined && oauthClientSecret === undefined ? text : stripUriSecrets(text);
    return { conninfo, password, oauthClientSecret, summary: maskUri(text) };
  }
  const conninfo = Object.entries(params)
    .map(([k, v]) => `${k}=${/[\s'\\]|^$/.test(v) ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : v}`)
    .join(' ');
  return { conninfo, password, oauthClientSecret, summary: conninfo };
}

function stripUriSecrets(uri: string): string {
  const withoutUserPassword = uri.replace(/^(postgres(?:ql)?:\/\/[^@/:]*):[^@/]*@/, '$1@');
  const q = withoutUserPassword.indexOf('?');
  if (q < 0) return withoutUserPassword;
  const kept = withoutUserPassword
    .slice(q + 1)
    .split('&')
    .filter((pair) => !/^(?:password|oauth_client_secret)=/.test(pair));
  return withoutUserPassword.slice(0, q) + (kept.length ? `?${kept.join('&')}` : '');
}

/** A profile's connection, resolved like libpq (service file, PG* variables, pgpass); an error names the profile. */
export function resolveProfile(
  profile: ConnectionProfile,
  env: NodeJS.ProcessEnv = process.env,
  ctx: ResolveContext = defaultResolveContext(env),
): ResolvedConnection {
  try {
    return resolveConnection(profileParams(profile), ctx);
  } catch (err) {
    throw new PgOpsError(
      'profile-resolve',
      `Connection "${profile.name}" does not resolve: ${err instanceof Error ? err.message : String(err)}`,
      (err as Partial<PgOpsError>).hint ?? 'Edit the connection (its conninfo, service or fields) and try again.',
      { cause: err },
    );
  }
}

/**
 * The first endpoint of a profile with libpq defaults applied, for tools that need plain fields
 * (fix scripts). No password: use SessionManager to obtain one. A profile that does not resolve is an
 * error naming it, never a guess.
 */
export function profileTarget(
  p: ConnectionProfile,
  password?: string,
  ctx: ResolveContext = defaultResolveContext(),
): ConnectionTarget {
  const r = resolveProfile(p, ctx.env, ctx);
  const h = r.hosts[0];
  return { host: h.hostaddr ?? h.host, port: h.port, user: r.user, database: r.dbname, password };
}
