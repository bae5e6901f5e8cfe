/**
 * What an interrupted fix leaves behind, and the statements that remove it. pg_repack killed hard leaves
 * its log table, key type and `repack_trigger` (which goes on logging every change to the table), and an
 * invalid `index_<oid>` after --only-indexes; REINDEX CONCURRENTLY cancelled leaves invalid `*_ccnew` or
 * `*_ccold` indexes. Nothing is touched while a repack or an index build still runs on the table.
 */
import type { Client } from 'pg';
import type { SessionSafety } from '../conn/session';
import { diagStep } from '../diag/diagErrors';
import { PgOpsError } from '../errors';
import type { Queryable } from '../diag/queryable';
import { num } from '../diag/queryable';
import { quoteQualified } from '../sql';
import { fixSessionSafety } from './plan';
import { repackLockClass } from './repackTool';

export type LeftoverKind =
  'repack trigger' | 'repack log table' | 'repack copy table' | 'repack key type' | 'invalid index';

export interface Leftover {
  kind: LeftoverKind;
  /** The table it belongs to, when that still exists (oid and schema.name as the catalog spells it). */
  tableOid: number | null;
  table: string | null;
  /** The object itself, schema.name (for a trigger: its name). */
  object: string;
  bytes: number;
  /** Why it is there, in a few words. */
  origin: string;
  /** The statement that removes it, names written U&"…" so it is one inert line. */
  cleanup: string;
  /** DROP INDEX CONCURRENTLY cannot run inside a transaction block. */
  transactional: boolean;
  /** A repack or index build still runs on the table (pid): the object is in use, not left over. */
  inUseBy: number | null;
}

const leftoversSql = `WITH db AS (
  SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
), repack_locks AS (
  SELECT ((l.objid::int8 + 2147483648) % 4294967296)::oid AS table_oid, l.pid
  FROM pg_catalog.pg_locks l
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int8::oid AND l.objsubid = 2 AND l.database = (SELECT oid FROM db)
), builds AS (
  SELECT p.relid AS table_oid, p.pid FROM pg_catalog.pg_stat_progress_create_index p WHERE p.datid = (SELECT oid FROM db)
), found AS (
  -- the log and copy tables and the key type in schema repack, named after the table's oid
  SELECT CASE substring(c.relname FROM '^[a-z]+') WHEN 'log' THEN 'repack log table' WHEN 'table' THEN 'repack copy table'
              ELSE 'repack key type' END AS kind,
         substring(c.relname FROM '_(\\d+)$')::oid AS table_oid, n.nspname::text AS schema, c.relname::text AS name,
         NULL::text AS trigger_name,
         CASE WHEN c.relkind = 'r' THEN pg_catalog.pg_total_relation_size(c.oid) ELSE 0 END AS bytes
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'repack' AND ((c.relkind = 'r' AND c.relname ~ '^(log|table)_\\d+$') OR (c.relkind = 'c' AND c.relname ~ '^pk_\\d+$'))
  UNION ALL
  SELECT 'repack trigger', t.tgrelid, NULL, NULL, t.tgname::text, 0
  FROM pg_catalog.pg_trigger t WHERE t.tgname = 'repack_trigger'
  UNION ALL
  -- invalid indexes left by pg_repack --only-indexes (index_<oid of the index it rebuilds>) and REINDEX CONCURRENTLY
  SELECT 'invalid index', i.indrelid, n.nspname::text, c.relname::text, NULL, pg_catalog.pg_relation_size(c.oid)
  FROM pg_catalog.pg_index i
  JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE NOT i.indisvalid AND (c.relname ~ '_cc(new|old)\\d*$' OR c.relname ~ '^index_\\d+$')
)
SELECT f.kind, f.table_oid::int8 AS table_oid, f.schema, f.name, f.trigger_name, f.bytes::float8 AS bytes,
  tn.nspname::text AS table_schema, t.relname::text AS table_name,
  coalesce((SELECT min(r.pid) FROM repack_locks r WHERE r.table_oid = f.table_oid),
           (SELECT min(b.pid) FROM builds b WHERE b.table_oid = f.table_oid)) AS in_use_by
FROM found f
LEFT JOIN pg_catalog.pg_class t ON t.oid = f.table_oid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE $2::int8 IS NULL OR f.table_oid = $2::int8::oid`;

const order: Record<LeftoverKind, number> = {
  // the trigger first, so nothing writes to the log any more; the key type after the log table that uses it
  'repack trigger': 0,
  'repack log table': 1,
  'repack copy table': 2,
  'repack key type': 3,
  'invalid index': 4,
};

const origins: Record<LeftoverKind, string> = {
  'repack trigger': 'pg_repack was interrupted: this trigger still copies every change of the table into its log',
  'repack log table': 'pg_repack was interrupted: its change log',
  'repack copy table': 'pg_repack was interrupted: its unfinished copy of the table',
  'repack key type': 'pg_repack was interrupted: the key type of its log',
  'invalid index':
    'an index build that did not finish (REINDEX CONCURRENTLY or pg_repack --only-indexes): it is maintained on every write but never used',
};

/** The leftovers in this database, of one table (tableOid) or all. */
export async function findLeftovers(client: Queryable, tableOid?: number): Promise<Leftover[]> {
  const rows = await diagStep('Looking for leftovers of interrupted fixes', 'pg_monitor', async () => {
    return (await client.query(leftoversSql, [repackLockClass, tableOid ?? null])).rows;
  });
  return rows
    .map((r): Leftover => {
      const kind = String(r.kind) as LeftoverKind;
      const table = r.table_name
        ? quoteQualified(String(r.table_schema), String(r.table_name), { printable: true })
        : null;
      const object = r.trigger_name
        ? `repack_trigger`
        : quoteQualified(String(r.schema), String(r.name), { printable: true });
      return {
        kind,
        tableOid: r.table_oid === null ? null : num(r.table_oid),
        table,
        object: r.trigger_name ? `${object} on ${table ?? `the table with oid ${num(r.table_oid)}`}` : object,
        bytes: num(r.bytes),
        origin: origins[kind],
        cleanup: cleanupStatement(kind, object, table),
        transactional: kind !== 'invalid index',
        inUseBy: r.in_use_by === null ? null : num(r.in_use_by),
      };
    })
    .filter((l) => l.kind !== 'repack trigger' || l.table !== null)
    .sort((a, b) => order[a.kind] - order[b.kind] || a.object.localeCompare(b.object));
}

function cleanupStatement(kind: LeftoverKind, object: string, table: string | null): string {
  switch (kind) {
    case 'repack trigger':
      return `DROP TRIGGER IF EXISTS repack_trigger ON ${table};`;
    case 'repack log table':
    case 'repack copy table':
      return `DROP TABLE IF EXISTS ${object};`;
    case 'repack key type':
      return `DROP TYPE IF EXISTS ${object};`;
    case 'invalid index':
      return `DROP INDEX CONCURRENTLY IF EXISTS ${object};`;
  }
}

/** The cleanup as a psql script: the transactional drops in one transaction, then each concurrent drop on its own. */
export function cleanupScript(leftovers: readonly Leftover[], lockTimeoutS: number): string {
  const free = leftovers.filter((l) => l.inUseBy === null);
  const inTx = free.filter((l) => l.transactional).map((l) => l.cleanup);
  const alone = free.filter((l) => !l.transactional).map((l) => l.cleanup);
  return [
    `SET lock_timeout = '${lockTimeoutS}s';`,
    ...(inTx.length ? ['BEGIN;', ...inTx, 'COMMIT;'] : []),
    ...alone,
    '',
  ].join('\n');
}

export interface CleanupResult {
  dropped: Leftover[];
  /** Left alone because a repack or index build still runs on the table. */
  skipped: Leftover[];
}

/**
 * Runs the cleanup on a writable session (lock_timeout already set on it): the drops of the repack objects in
 * one transaction, so a table is never left with a trigger writing to a dropped log; each invalid index after.
 */
export async function cleanLeftovers(session: Queryable, leftovers: readonly Leftover[]): Promise<CleanupResult> {
  const skipped = leftovers.filter((l) => l.inUseBy !== null);
  const free = leftovers.filter((l) => l.inUseBy === null);
  const inTx = free.filter((l) => l.transactional);
  if (inTx.length) {
    await session.query('BEGIN');
    try {
      for (const l of inTx) await session.query(l.cleanup);
      await session.query('COMMIT');
    } catch (err) {
      await session.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
  for (const l of free.filter((x) => !x.transactional)) await session.query(l.cleanup);
  return { dropped: free, skipped };
}

/**
 * The cleanup in a session of its own (`pgops fix cleanup`, writable, lock_timeout), closed afterwards. A failure was
 * rolled back whole and says so, with what to do about a lock wait.
 */
export async function cleanUpLeftovers(
  open: (safety: SessionSafety) => Promise<Client>,
  leftovers: readonly Leftover[],
  lockTimeoutS: number,
): Promise<CleanupResult> {
  const session = await open(fixSessionSafety('pgops fix cleanup', lockTimeoutS));
  try {
    return await cleanLeftovers(session, leftovers);
  } catch (err) {
    throw new PgOpsError(
      'fix-cleanup',
      `the cleanup failed and was rolled back: ${(err as Error).message}`,
      `A lock wait longer than the lock timeout (${lockTimeoutS} s) ends it: run it again when the table is quieter, ` +
        'or raise the lock timeout (--lock-timeout, pgops.fix.lockTimeout).',
      { cause: err },
    );
  } finally {
    await session.end().catch(() => undefined);
  }
}
