/**
 * Database facts under pg_perfbench's item keys (full_version, version_major, version_minor,
 * pg_settings, pg_config, pg_available_extensions) plus ours: installed extensions, checksums,
 * shared_preload_libraries, replication state and database size. SQL works on PostgreSQL 13–18.
 */
import type { Queryable } from '../diag/queryable';
import type { JsonValue, ReportItem } from '../report';
import { plainTextItem, tableItem } from '../report';

interface DbFact {
  key: string;
  header: string;
  description?: string;
  state: 'collapsed' | 'hidden';
  kind: 'plain_text' | 'table';
  sql: string;
  /** plain_text facts: turns the rows into the text; default the first column of the first row */
  text?: (rows: Array<Record<string, unknown>>) => string;
}

const dbFactList: DbFact[] = [
  {
    key: 'full_version',
    header: 'PostgreSQL full version',
    state: 'collapsed',
    kind: 'plain_text',
    sql: 'SELECT version()',
    description:
      'Information about the installed PostgreSQL version, including the version number, system architecture, utilized compiler, and operating system',
  },
  {
    key: 'version_major',
    header: 'PostgreSQL major version',
    state: 'hidden',
    kind: 'plain_text',
    sql: 'SELECT version()',
  },
  {
    key: 'version_minor',
    header: 'PostgreSQL minor version',
    state: 'hidden',
    kind: 'plain_text',
    sql: "SELECT setting FROM pg_settings WHERE name = 'server_version'",
  },
  {
    key: 'pg_settings',
    header: 'PostgreSQL settings',
    description:
      'Every server setting with its unit and source; non_default is true when the source is not the built-in default',
    state: 'collapsed',
    kind: 'table',
    sql: "SELECT name, setting, unit, source, source NOT IN ('default', 'override') AS non_default FROM pg_settings ORDER BY name",
  },
  {
    key: 'pg_config',
    header: 'PostgreSQL pg_config',
    description: 'Configuration parameters of the currently installed PostgreSQL version',
    state: 'collapsed',
    kind: 'plain_text',
    sql: 'SELECT name, setting FROM pg_config',
    text: (rows) => rows.map((r) => `${String(r.name)} = ${String(r.setting)}\n`).join(''),
  },
  {
    key: 'pg_available_extensions',
    header: 'PostgreSQL extensions',
    state: 'collapsed',
    kind: 'table',
    sql: 'SELECT name, default_version, installed_version FROM pg_available_extensions ORDER BY name ASC',
  },
  {
    key: 'pg_extensions_installed',
    header: 'Extensions installed in the benchmark database',
    state: 'collapsed',
    kind: 'table',
    sql: 'SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace ORDER BY 1',
  },
  {
    key: 'data_checksums',
    header: 'Data checksums | SHOW data_checksums',
    state: 'collapsed',
    kind: 'plain_text',
    sql: "SELECT current_setting('data_checksums')",
  },
  {
    key: 'shared_preload_libraries',
    header: 'Preloaded libraries | SHOW shared_preload_libraries',
    state: 'collapsed',
    kind: 'plain_text',
    sql: "SELECT current_setting('shared_preload_libraries')",
  },
  {
    key: 'replication_role',
    header: 'Replication role | pg_is_in_recovery()',
    state: 'collapsed',
    kind: 'plain_text',
    sql: "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby (in recovery)' ELSE 'primary' END",
  },
  {
    key: 'replication_standbys',
    header: 'Connected standbys | pg_stat_replication',
    state: 'collapsed',
    kind: 'table',
    sql:
      'SELECT application_name, client_addr::text, state, sync_state, write_lag::text, ' +
      'flush_lag::text, replay_lag::text FROM pg_stat_replication ORDER BY application_name',
  },
  {
    key: 'replication_slots',
    header: 'Replication slots | pg_replication_slots',
    state: 'collapsed',
    kind: 'table',
    sql: 'SELECT slot_name, slot_type, plugin, database, active, restart_lsn::text, wal_status FROM pg_replication_slots ORDER BY slot_name',
  },
  {
    key: 'database_size',
    header: 'Size of the benchmark database | pg_database_size',
    state: 'collapsed',
    kind: 'plain_text',
    sql: 'SELECT current_database() AS db, pg_database_size(current_database()) AS bytes, pg_size_pretty(pg_database_size(current_database())) AS pretty',
    text: (rows) => `${String(rows[0].db)}: ${String(rows[0].pretty)} (${String(rows[0].bytes)} bytes)\n`,
  },
];

function cell(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
}

/** The keys of the db section's items, in report order. */
export const dbFactKeys: readonly string[] = dbFactList.map((f) => f.key);

export async function collectDbFacts(client: Queryable): Promise<Record<string, ReportItem>> {
  const items: Record<string, ReportItem> = {};
  for (const f of dbFactList) {
    const opts = { description: f.description, state: f.state, command: { sql_command_file: `${f.key}.sql` } };
    try {
      const r = await client.query(f.sql);
      if (f.kind === 'table') {
        const fields = (r as { fields?: Array<{ name: string }> }).fields;
        const theader = fields ? fields.map((x) => x.name) : Object.keys(r.rows[0] ?? {});
        // secrets in settings (primary_conninfo, *_command, …) are redacted with the whole report (src/core/report/redact.ts)
        const rows = r.rows.map((row) => theader.map((k) => cell(row[k])));
        items[f.key] = tableItem(f.header, theader, rows, opts);
      } else {
        if (r.rows.length === 0) throw new Error('No data returned.');
        const text = f.text ? f.text(r.rows) : String(Object.values(r.rows[0])[0]);
        items[f.key] = plainTextItem(f.header, text, opts);
      }
    } catch (err) {
      items[f.key] = plainTextItem(
        f.header,
        `Error generating report of type "${f.kind}": ${(err as Error).message}`,
        opts,
      );
    }
  }
  return items;
}
