import { quoteLiteral } from '../sql';
import type { Queryable } from './queryable';
import { num } from './queryable';
import type { StatementsProbe } from './statements';
import { statementsObject } from './statements';

export interface HealthNote {
  level: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** What to do, in words. */
  hint?: string;
  /** The exact SQL that fixes it, for a snippet or an editor. */
  fix?: string;
}

/** Share of pg_stat_statements.max at which new entries start evicting others and contending on the hash-table lock. */
export const nearMaxRatio = 0.9;

interface Settings {
  max: string | null;
  track: string | null;
  sample_rate: string | null;
  track_planning: string | null;
  track_io_timing: string | null;
  compute_query_id: string | null;
  preload: string | null;
  read_all_stats: boolean;
}

const settingsSql = `SELECT current_setting('pg_stat_statements.max', true) AS max,
  current_setting('pg_stat_statements.track', true) AS track,
  current_setting('pg_stat_statements.sample_rate', true) AS sample_rate,
  current_setting('pg_stat_statements.track_planning', true) AS track_planning,
  current_setting('track_io_timing', true) AS track_io_timing,
  current_setting('compute_query_id', true) AS compute_query_id,
  (SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries') AS preload,
  pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats`;

/**
 * The elements of a library list setting as the server splits it (SplitDirectoriesString): at commas
 * outside double quotes, blanks around an element dropped, "" inside quotes one quote.
 */
export function splitLibraryList(value: string): string[] {
  const items: string[] = [];
  for (let i = 0; i < value.length; i++) {
    while (/[ \t\n\r\f\v]/.test(value[i] ?? '')) i++;
    let item = '';
    if (value[i] === '"') {
      for (i++; i < value.length; i++) {
        if (value[i] !== '"') item += value[i];
        else if (value[i + 1] === '"') item += value[++i];
        else break;
      }
      while (i < value.length && value[i] !== ',') i++;
    } else {
      const comma = value.indexOf(',', i);
      const end = comma < 0 ? value.length : comma;
      item = value.slice(i, end).replace(/[ \t\n\r\f\v]+$/, '');
      i = end;
    }
    if (item) items.push(item);
  }
  return items;
}

/**
 * The ALTER SYSTEM that adds pg_stat_statements to the libraries already preloaded (when we can read
 * them). One literal per library: the server would take a single 'a,b' as one library named "a,b".
 */
export function preloadFix(current: string | null): string {
  const libs = splitLibraryList(current ?? '').filter((l) => l !== 'pg_stat_statements');
  const value = [...new Set(libs), 'pg_stat_statements'].map((l) => quoteLiteral(l, { printable: true })).join(', ');
  const keep =
    current === null ? '  -- add any libraries already in shared_preload_libraries (not readable by this role)' : '';
  return [
    `ALTER SYSTEM SET shared_preload_libraries = ${value};${keep}`,
    '-- then restart the server (pg_ctl restart / systemctl restart postgresql), and in each database:',
    'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;',
  ].join('\n');
}

/**
 * What the Query Stats view says about the extension itself: missing or not loaded (with the exact
 * fix), evicted entries, sampling, `track`, and the contention risk near `max` (the sampling article).
 */
export async function statementHealth(client: Queryable, probe: StatementsProbe): Promise<HealthNote[]> {
  const s = (await client.query<Settings>(settingsSql)).rows[0];
  const notes: HealthNote[] = [];
  if (probe.state === 'unavailable') {
    notes.push({
      level: 'error',
      code: 'pgss-unavailable',
      message: 'pg_stat_statements is not available on this server',
      hint: 'Install the contrib package of this PostgreSQL version (Debian/Ubuntu: postgresql-contrib or postgresql-NN), then preload and create it.',
      fix: preloadFix(s.preload),
    });
    return notes;
  }
  if (probe.state === 'not-created') {
    const loaded = s.max !== null;
    notes.push({
      level: 'error',
      code: 'pgss-not-created',
      message: 'pg_stat_statements is not created in this database',
      hint: loaded
        ? 'The library is loaded: a superuser only needs to create the extension.'
        : 'Preload the library (restart), then create the extension.',
      fix: loaded ? 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements;' : preloadFix(s.preload),
    });
    return notes;
  }
  if (probe.state === 'not-preloaded') {
    notes.push({
      level: 'error',
      code: 'pgss-not-preloaded',
      message: 'pg_stat_statements is created but not in shared_preload_libraries: nothing is recorded',
      hint: 'Add it to shared_preload_libraries and restart the server.',
      fix: preloadFix(s.preload),
    });
    return notes;
  }
  const src = probe.source;
  if (src.defaultVersion && src.defaultVersion !== src.extVersion) {
    notes.push({
      level: 'info',
      code: 'pgss-old-version',
      message: `pg_stat_statements ${src.extVersion} is installed; the server offers ${src.defaultVersion}`,
      hint: 'Update it to get the newer columns.',
      fix: 'ALTER EXTENSION pg_stat_statements UPDATE;',
    });
  }
  const max = num(s.max);
  const entriesSql = `SELECT count(*) FROM ${statementsObject(src, 'pg_stat_statements')}(false)`;
  const counts = (
    await client.query<{ n: string; dealloc: string | null }>(
      src.hasInfo
        ? `SELECT (${entriesSql}) AS n, (SELECT dealloc FROM ${statementsObject(src, 'pg_stat_statements_info')}) AS dealloc`
        : `SELECT (${entriesSql}) AS n, NULL AS dealloc`,
    )
  ).rows[0];
  const entries = num(counts.n);
  const dealloc = num(counts.dealloc);
  if (dealloc > 0) {
    notes.push({
      level: 'warning',
      code: 'pgss-dealloc',
      message: `Entries were evicted ${dealloc} times (pg_stat_statements_info.dealloc): more distinct statements than pg_stat_statements.max = ${max}`,
      hint: 'Raise pg_stat_statements.max (needs a restart) so history is not lost and texts keep their placeholders.',
      fix: `ALTER SYSTEM SET pg_stat_statements.max = ${Math.max(max * 2, 10000)};\n-- then restart the server`,
    });
  }
  if (max > 0 && entries >= nearMaxRatio * max) {
    notes.push({
      level: 'warning',
      code: 'pgss-near-max',
      message: `${entries} distinct entries of ${max} (pg_stat_statements.max): new statements take the hash table's lock exclusively`,
      hint:
        'Under many unique statements this shows as LWLock / pg_stat_statements waits (see Wait ' +
        'Events). Raise max, or reduce unique statements (parameters instead of literals, fewer ' +
        'temp tables).',
    });
    if (!src.hasInfo) {
      notes.push({
        level: 'info',
        code: 'pgss-dealloc-unknown',
        message: `Evictions cannot be counted: pg_stat_statements ${src.extVersion} has no pg_stat_statements_info (1.9, PostgreSQL 14)`,
        hint: 'With the table this full, entries are probably being evicted; raising pg_stat_statements.max is the safe choice.',
      });
    }
  }
  notes.push({ level: 'info', code: 'pgss-entries', message: `${entries} entries (max ${max})` });
  if (s.track === 'none') {
    notes.push({
      level: 'warning',
      code: 'pgss-track-none',
      message: 'pg_stat_statements.track = none: no statement is recorded',
      fix: "ALTER SYSTEM SET pg_stat_statements.track = 'top';\nSELECT pg_reload_conf();",
    });
  } else if (s.track) {
    notes.push({
      level: 'info',
      code: 'pgss-track',
      message:
        `pg_stat_statements.track = ${s.track}` +
        (s.track === 'all'
          ? ' (nested statements counted too: a statement can appear twice, top level and nested)'
          : ''),
    });
  }
  if (s.sample_rate !== null) {
    notes.push({
      level: Number(s.sample_rate) < 1 ? 'warning' : 'info',
      code: 'pgss-sample-rate',
      message:
        `pg_stat_statements.sample_rate = ${s.sample_rate}` +
        (Number(s.sample_rate) < 1
          ? ': only that fraction of executions is counted, rare statements may be missing'
          : ''),
    });
  }
  if (s.compute_query_id === 'off') {
    notes.push({
      level: 'warning',
      code: 'pgss-queryid-off',
      message: 'compute_query_id = off: pg_stat_statements records nothing',
      fix: "ALTER SYSTEM SET compute_query_id = 'auto';\nSELECT pg_reload_conf();",
    });
  }
  if (s.track_io_timing === 'off') {
    notes.push({
      level: 'info',
      code: 'pgss-io-timing',
      message: 'track_io_timing = off: block read/write times are 0',
    });
  }
  if (!s.read_all_stats) {
    notes.push({
      level: 'info',
      code: 'pgss-privileges',
      message: "Other roles' statements show as <insufficient privilege>",
      hint: 'GRANT pg_read_all_stats (or pg_monitor) to this role to see every statement.',
    });
  }
  return notes;
}
