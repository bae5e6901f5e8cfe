/**
 * Maintenance running right now, from the pg_stat_progress_* views (vacuum, analyze, create_index,
 * cluster, basebackup: all present from PostgreSQL 13 on), and the autovacuum workers with the table
 * each is on. One query for the operations, one for the workers.
 */
import { redactText } from '../redact';
import { diagStep } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { num, numOrNull } from '../diag/queryable';

export type MaintenanceKind = 'vacuum' | 'analyze' | 'create index' | 'cluster' | 'base backup';

export interface MaintenanceProgress {
  pid: number;
  kind: MaintenanceKind;
  /** VACUUM, autovacuum, ANALYZE, CREATE INDEX [CONCURRENTLY], REINDEX [CONCURRENTLY], CLUSTER, VACUUM FULL, BASE_BACKUP. */
  command: string;
  database: string | null;
  /** schema.name of the table, when it is in the database this session is connected to. */
  relation: string | null;
  relid: number | null;
  phase: string;
  /** Blocks (or bytes for a base backup) done of total, when the phase counts them. */
  done: number | null;
  total: number | null;
  unit: 'blocks' | 'bytes';
  percent: number | null;
  autovacuum: boolean;
}

export interface AutovacuumWorker {
  pid: number;
  database: string | null;
  /** The table it works on: from its progress row in this database, otherwise from its activity text. */
  relation: string | null;
  /** What pg_stat_activity says it does (`VACUUM ANALYZE public.t`), null when hidden from this role. */
  activity: string | null;
  runningS: number | null;
}

export interface ProgressSnapshot {
  operations: MaintenanceProgress[];
  autovacuumWorkers: AutovacuumWorker[];
}

const kinds: Record<string, MaintenanceKind> = {
  vacuum: 'vacuum',
  analyze: 'analyze',
  create_index: 'create index',
  cluster: 'cluster',
  basebackup: 'base backup',
};

/** The operations, each with its table's name when it lives in this session's database. */
export const progressSql = `WITH p AS (
  SELECT 'vacuum' AS kind, v.pid, v.datid, v.datname::text AS datname, v.relid, v.phase,
    (CASE WHEN v.phase = 'vacuuming heap' THEN v.heap_blks_vacuumed ELSE v.heap_blks_scanned END)::float8 AS done,
    v.heap_blks_total::float8 AS total, 'blocks' AS unit, NULL::text AS command
  FROM pg_catalog.pg_stat_progress_vacuum v
  UNION ALL
  SELECT 'analyze', a.pid, a.datid, a.datname::text, a.relid, a.phase, a.sample_blks_scanned::float8,
    a.sample_blks_total::float8, 'blocks', 'ANALYZE'
  FROM pg_catalog.pg_stat_progress_analyze a
  UNION ALL
  SELECT 'create_index', i.pid, i.datid, i.datname::text, i.relid, i.phase, i.blocks_done::float8,
    i.blocks_total::float8, 'blocks', i.command
  FROM pg_catalog.pg_stat_progress_create_index i
  UNION ALL
  SELECT 'cluster', c.pid, c.datid, c.datname::text, c.relid, c.phase, c.heap_blks_scanned::float8,
    c.heap_blks_total::float8, 'blocks', c.command
  FROM pg_catalog.pg_stat_progress_cluster c
  UNION ALL
  SELECT 'basebackup', b.pid, NULL::oid, NULL::text, NULL::oid, b.phase, b.backup_streamed::float8,
    b.backup_total::float8, 'bytes', 'BASE_BACKUP'
  FROM pg_catalog.pg_stat_progress_basebackup b
)
SELECT p.kind, p.pid, p.datname, p.relid::int8 AS relid, p.phase, p.done, p.total, p.unit, p.command,
  n.nspname::text AS schema, r.relname::text AS relname, (s.backend_type = 'autovacuum worker') AS autovacuum
FROM p
LEFT JOIN pg_catalog.pg_class r ON r.oid = p.relid
  AND p.datid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
LEFT JOIN pg_catalog.pg_stat_activity s ON s.pid = p.pid
ORDER BY p.pid, p.kind`;

export const autovacuumWorkersSql = `SELECT a.pid, a.datname::text AS datname, a.query,
  pg_catalog.date_part('epoch', pg_catalog.clock_timestamp() - a.xact_start)::float8 AS running_s
FROM pg_catalog.pg_stat_activity a
WHERE a.backend_type = 'autovacuum worker'
ORDER BY a.pid`;

/** done of total as a percentage, when there is a total to count against. */
export function progressPercent(done: number | null, total: number | null): number | null {
  if (done === null || total === null || total <= 0) return null;
  return Math.min(100, Math.round((done / total) * 1000) / 10);
}

/**
 * The table in an autovacuum worker's activity text (`autovacuum: VACUUM ANALYZE public.t (to prevent
 * wraparound)`), as written there; null when the text names none or is hidden.
 */
export function autovacuumTarget(activity: string | null): string | null {
  const m = /^autovacuum: (?:VACUUM ANALYZE|VACUUM|ANALYZE|BRIN summarize) (\S+)/.exec(activity ?? '');
  return m ? m[1] : null;
}

/** The operations alone, one query: what a caller that does not list the autovacuum workers needs. */
export async function maintenanceOperations(client: Queryable): Promise<MaintenanceProgress[]> {
  const rows = await diagStep('Reading pg_stat_progress_*', 'pg_read_all_stats', async () => {
    return (await client.query(progressSql)).rows;
  });
  return rows.map((r) => {
    const autovacuum = !!r.autovacuum;
    const kind = kinds[String(r.kind)] ?? 'vacuum';
    const done = numOrNull(r.done);
    const total = numOrNull(r.total);
    return {
      pid: num(r.pid),
      kind,
      command: (r.command as string | null) ?? (autovacuum ? 'autovacuum' : 'VACUUM'),
      database: (r.datname as string | null) ?? null,
      relation: r.relname ? `${String(r.schema)}.${String(r.relname)}` : null,
      relid: numOrNull(r.relid),
      phase: (r.phase as string | null) ?? 'unknown',
      done,
      total,
      unit: r.unit === 'bytes' ? 'bytes' : 'blocks',
      percent: progressPercent(done, total),
      autovacuum,
    };
  });
}

export async function maintenanceProgress(client: Queryable): Promise<ProgressSnapshot> {
  const operations = await maintenanceOperations(client);
  const workers = await diagStep(
    'Reading the autovacuum workers from pg_stat_activity',
    'pg_read_all_stats',
    async () => {
      return (await client.query(autovacuumWorkersSql)).rows;
    },
  );
  const autovacuumWorkers = workers.map((w) => {
    const pid = num(w.pid);
    const raw = (w.query as string | null) ?? null;
    const activity =
      raw === null || raw === '<insufficient privilege>' ? null : redactText(raw.replace(/^autovacuum: /, ''));
    const own = operations.find((o) => o.pid === pid && o.relation !== null);
    return {
      pid,
      database: (w.datname as string | null) ?? null,
      relation: own?.relation ?? autovacuumTarget(raw),
      activity,
      runningS: numOrNull(w.running_s),
    };
  });
  return { operations, autovacuumWorkers };
}

/** Statements whose progress a pg_stat_progress_* view reports (after leading blanks). */
const maintenanceStatement =
  /^\s*(?:vacuum|analyze|analyse|create\s+(?:unique\s+)?index|reindex|cluster|base_backup)\b/i;

/**
 * Whether a session of the activity list may have a row in the pg_stat_progress_* views: an autovacuum worker,
 * or a session running VACUUM, ANALYZE, CREATE INDEX, REINDEX, CLUSTER or BASE_BACKUP. The Activity view reads
 * the progress views only then, so a refresh stays one query while no maintenance runs.
 */
export function runsMaintenance(s: {
  backendType: string | null;
  state: string | null;
  query: string | null;
}): boolean {
  if (s.backendType === 'autovacuum worker') return true;
  return s.state === 'active' && maintenanceStatement.test(s.query ?? '');
}
