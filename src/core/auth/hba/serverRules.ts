/**
 * The server's own reading of its authentication files: pg_hba_file_rules (13+; rule_number and
 * file_name from 16) and pg_ident_file_mappings (15+; map_number and file_name from 16). Both show the
 * files on disk now, which can differ from what the server loaded at its last reload. Reading them needs
 * superuser or explicit grants (pg_monitor does not include them).
 */
import type { Client } from 'pg';
import { PgOpsError } from '../../errors';
import { parseIp } from './address';
import { maskSecrets } from './options';
import type { AuthFileProblem, HbaAddress, HbaConnType, HbaMethod, HbaRule, HbaToken, IdentRule } from './types';

export interface RuleSource {
  kind: 'server' | 'file';
  /** Human text saying where the rules came from, for the UI and the CLI. */
  description: string;
  major: number;
}

export interface ServerHbaRules {
  source: RuleSource;
  rules: HbaRule[];
  problems: AuthFileProblem[];
  /** pg_ident_file_mappings, or why it is not available (PG13/14 have no such view; privileges). */
  ident: { rules: IdentRule[]; problems: AuthFileProblem[] } | { unavailable: string };
}

const privilegeSql = `SELECT current_setting('server_version_num')::int AS version_num,
  current_user AS who,
  has_function_privilege('pg_catalog.pg_hba_file_rules()', 'EXECUTE')
    AND has_table_privilege('pg_catalog.pg_hba_file_rules', 'SELECT') AS hba_readable,
  (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
    OR pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS settings_readable`;

const hbaSql16 = `SELECT rule_number, file_name, line_number, type, database, user_name, address, netmask, auth_method, options, error
  FROM pg_catalog.pg_hba_file_rules ORDER BY rule_number NULLS LAST, file_name, line_number`;
const hbaSql13 = `SELECT NULL::int AS rule_number, NULL::text AS file_name, line_number, type, database, user_name,
       address, netmask, auth_method, options, error
  FROM pg_catalog.pg_hba_file_rules ORDER BY line_number`;
const identSql16 = `SELECT file_name, line_number, map_name, sys_name, pg_username, error
  FROM pg_catalog.pg_ident_file_mappings ORDER BY map_number NULLS LAST, file_name, line_number`;
const identSql15 = `SELECT NULL::text AS file_name, line_number, map_name, sys_name, pg_username, error
  FROM pg_catalog.pg_ident_file_mappings ORDER BY line_number`;
const identPrivilegeSql = `SELECT has_function_privilege('pg_catalog.pg_ident_file_mappings()', 'EXECUTE')
  AND has_table_privilege('pg_catalog.pg_ident_file_mappings', 'SELECT') AS readable`;

interface HbaRow {
  rule_number: number | null;
  file_name: string | null;
  line_number: number;
  type: string | null;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
  auth_method: string | null;
  options: string[] | null;
  error: string | null;
}

// The view drops the quotes of quoted names, so `"all"` and `all` read the same; we take them as written unquoted.
const tokens = (list: string[] | null): HbaToken[] => (list ?? []).map((text) => ({ text, quoted: false }));

function addressOf(row: HbaRow): HbaAddress | undefined {
  if (row.type === 'local' || row.address === null) return undefined;
  if (row.address === 'all' || row.address === 'samehost' || row.address === 'samenet') return { kind: row.address };
  const ip = parseIp(row.address);
  const mask = row.netmask ? parseIp(row.netmask) : undefined;
  if (ip && mask)
    return {
      kind: 'ip',
      text: `${row.address} ${row.netmask ?? ''}`.trim(),
      family: ip.family,
      bytes: ip.bytes,
      mask: mask.bytes,
    };
  return { kind: 'hostname', name: row.address };
}

function optionsOf(list: string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq > 0) out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

function rawLine(row: HbaRow): string {
  const addr = row.address === null ? [] : [row.address, ...(row.netmask ? [row.netmask] : [])];
  return [
    row.type,
    (row.database ?? []).join(','),
    (row.user_name ?? []).join(','),
    ...addr,
    row.auth_method,
    ...(row.options ?? []),
  ].join(' ');
}

/** Reads the rules through the server's views; throws PgOpsError('hba-rules-not-readable') without the privileges. */
export async function readServerHbaRules(client: Client, label = 'the server'): Promise<ServerHbaRules> {
  const {
    rows: [p],
  } = await client.query<{ version_num: number; who: string; hba_readable: boolean; settings_readable: boolean }>(
    privilegeSql,
  );
  const major = Math.floor(p.version_num / 10000);
  if (!p.hba_readable) {
    throw new PgOpsError(
      'hba-rules-not-readable',
      `Role "${p.who}" may not read pg_hba_file_rules on ${label}`,
      `Ask a superuser to run: GRANT SELECT ON pg_hba_file_rules TO ${p.who}; GRANT EXECUTE ON ` +
        `FUNCTION pg_hba_file_rules() TO ${p.who}; — or point pgops at a copy of pg_hba.conf.`,
    );
  }
  let hbaFile = 'pg_hba.conf';
  if (p.settings_readable)
    hbaFile = (await client.query<{ f: string }>("SELECT current_setting('hba_file') AS f")).rows[0].f;
  const { rows } = await client.query<HbaRow>(major >= 16 ? hbaSql16 : hbaSql13);
  const rules: HbaRule[] = [];
  const problems: AuthFileProblem[] = [];
  for (const row of rows) {
    const file = row.file_name ?? hbaFile;
    if (row.error !== null && (row.auth_method === null || row.type === null)) {
      problems.push({ file, line: row.line_number, severity: 'error', message: row.error });
      continue;
    }
    if (row.error !== null) problems.push({ file, line: row.line_number, severity: 'warning', message: row.error });
    const method = row.auth_method as HbaMethod;
    rules.push({
      source: { file, line: row.line_number, rawLine: maskSecrets(rawLine(row)) },
      ruleNumber: row.rule_number ?? rules.length + 1,
      type: row.type as HbaConnType,
      databases: tokens(row.database),
      users: tokens(row.user_name),
      address: addressOf(row),
      method,
      writtenMethod: method,
      options: optionsOf(row.options),
    });
  }
  return {
    source: {
      kind: 'server',
      major,
      description: `rules read from ${label}'s pg_hba_file_rules view (PostgreSQL ${major}; the file on disk now, which takes effect at the next reload)`,
    },
    rules,
    problems,
    ident: await readServerIdent(client, major, hbaFile.replace(/pg_hba\.conf$/, 'pg_ident.conf')),
  };
}

async function readServerIdent(client: Client, major: number, defaultFile: string): Promise<ServerHbaRules['ident']> {
  if (major < 15)
    return {
      unavailable: `PostgreSQL ${major} has no pg_ident_file_mappings view (added in 15); read pg_ident.conf as a file`,
    };
  const {
    rows: [p],
  } = await client.query<{ readable: boolean }>(identPrivilegeSql);
  if (!p.readable)
    return {
      unavailable:
        'this role may not read pg_ident_file_mappings (GRANT SELECT ON pg_ident_file_mappings and EXECUTE ON FUNCTION pg_ident_file_mappings())',
    };
  const { rows } = await client.query<{
    file_name: string | null;
    line_number: number;
    map_name: string | null;
    sys_name: string | null;
    pg_username: string | null;
    error: string | null;
  }>(major >= 16 ? identSql16 : identSql15);
  const rules: IdentRule[] = [];
  const problems: AuthFileProblem[] = [];
  for (const r of rows) {
    const file = r.file_name ?? defaultFile;
    if (r.error !== null || r.map_name === null || r.sys_name === null || r.pg_username === null) {
      problems.push({ file, line: r.line_number, severity: 'error', message: r.error ?? 'unreadable line' });
      continue;
    }
    rules.push({
      source: { file, line: r.line_number, rawLine: `${r.map_name} ${r.sys_name} ${r.pg_username}` },
      map: r.map_name,
      systemUser: { text: r.sys_name, quoted: false },
      pgUser: { text: r.pg_username, quoted: false },
    });
  }
  return { rules, problems };
}

export function fileRuleSource(file: string, major: number): RuleSource {
  return {
    kind: 'file',
    major,
    description: `rules read from the local file ${file} (as PostgreSQL ${major} reads it)`,
  };
}
