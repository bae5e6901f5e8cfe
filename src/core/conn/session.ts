import type { Client, ClientConfig } from 'pg';
import { pinnedSearchPath, searchPathOption, settingOption } from '../sql';

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
  /**
   * Settings given at startup after the safety ones (a sweep's check that its sessions see the swept
   * values). Never a safety setting: the caller sets only what it verifies.
   */
  settings?: Array<[string, string]>;
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
  for (const [name, value] of s.settings ?? []) parts.push(settingOption(name, value));
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

/** The server's version number (server_version_num), e.g. 180004 for 18.4; the major is its first digits. */
export async function serverVersionNum(client: Client): Promise<number> {
  const r = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  return Number(r.rows[0].v);
}
