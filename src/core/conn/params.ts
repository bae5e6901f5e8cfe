import { PgOpsError } from '../errors';

/**
 * libpq's connection keywords (PostgreSQL 18's PQconninfoOptions) with the environment variable
 * that supplies each default. A keyword outside this table is refused, as libpq does.
 */
export const keywordEnv: Readonly<Record<string, string | undefined>> = {
  service: 'PGSERVICE',
  servicefile: 'PGSERVICEFILE',
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  dbname: 'PGDATABASE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  require_auth: 'PGREQUIREAUTH',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  fallback_application_name: undefined,
  keepalives: undefined,
  keepalives_idle: undefined,
  keepalives_interval: undefined,
  keepalives_count: undefined,
  tcp_user_timeout: undefined,
  replication: undefined,
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslpassword: undefined,
  sslcertmode: 'PGSSLCERTMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  sslkeylogfile: undefined,
  requirepeer: 'PGREQUIREPEER',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  scram_client_key: undefined,
  scram_server_key: undefined,
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
  oauth_issuer: undefined,
  oauth_client_id: undefined,
  oauth_client_secret: undefined,
  oauth_scope: undefined,
};

/** Keywords whose values are secrets: never logged, shown, or stored in settings. */
export const secretKeywords: ReadonlySet<string> = new Set([
  'password',
  'sslpassword',
  'oauth_client_secret',
  'scram_client_key',
  'scram_server_key',
]);

/** Keyword → value, as libpq holds them before defaults; absent means "not set". */
export type ConnParams = Record<string, string>;

export const sslModes = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof sslModes)[number];
export const targetSessionAttrs = ['any', 'read-write', 'read-only', 'primary', 'standby', 'prefer-standby'] as const;
export type TargetSessionAttrs = (typeof targetSessionAttrs)[number];

export function isKeyword(k: string): boolean {
  return Object.prototype.hasOwnProperty.call(keywordEnv, k);
}

export function checkKeyword(k: string, where: string): void {
  if (!isKeyword(k)) {
    throw new PgOpsError(
      'conninfo',
      `invalid connection option "${k}" in ${where}`,
      'Use libpq connection keywords (host, port, dbname, user, sslmode, …); see "Connection Strings" in the PostgreSQL documentation.',
    );
  }
}

/** The value checks libpq makes before connecting, with libpq's wording and the input named. */
export function validateParams(p: ConnParams, where: string): void {
  const oneOf = (key: string, allowed: readonly string[]) => {
    const v = p[key];
    if (v !== undefined && v !== '' && !allowed.includes(v)) {
      throw new PgOpsError(
        'conninfo',
        `invalid ${key} value: "${v}" in ${where}`,
        `Use one of: ${allowed.join(', ')}.`,
      );
    }
  };
  oneOf('sslmode', sslModes);
  oneOf('target_session_attrs', targetSessionAttrs);
  oneOf('load_balance_hosts', ['disable', 'random']);
  oneOf('sslnegotiation', ['postgres', 'direct']);
  oneOf('gssencmode', ['disable', 'prefer', 'require']);
  oneOf('channel_binding', ['disable', 'prefer', 'require']);
  for (const key of ['connect_timeout', 'keepalives', 'keepalives_idle']) {
    const v = p[key];
    if (v !== undefined && v !== '' && !/^\s*-?\d+\s*$/.test(v)) {
      throw new PgOpsError(
        'conninfo',
        `invalid integer value "${v}" for connection option "${key}" in ${where}`,
        'Give a whole number of seconds.',
      );
    }
  }
  for (const port of (p.port ?? '').split(',')) {
    if (port.trim() === '') continue;
    const n = Number(port.trim());
    if (!/^\d+$/.test(port.trim()) || n < 1 || n > 65535) {
      throw new PgOpsError(
        'conninfo',
        `invalid port number: "${port}" in ${where}`,
        'Ports are whole numbers between 1 and 65535.',
      );
    }
  }
}

/** A params object safe to log or show: secrets replaced by a mask. */
export function redactParams(p: ConnParams): ConnParams {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, secretKeywords.has(k) ? '********' : v]));
}
