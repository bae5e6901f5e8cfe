/** Health checks on the indexes of the current database: unused, invalid and duplicate ones. */
import { num } from '../diag/queryable';
import { formatBytes } from '../diag/replication';
import { quoteQualified } from '../sql';
import type { CheckContext, CheckOutcome, HealthDetail } from './healthModel';
import { judged } from './healthModel';

/** A name for SQL people copy and run: quoted, and printable ASCII whatever it holds. */
const qualified = (schema: string, name: string) => quoteQualified(schema, name, { printable: true });

const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
  AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)`;

/**
 * Valid non-unique indexes never scanned since the statistics were reset, biggest first. Indexes of
 * unique, primary-key and exclusion constraints are kept out: they enforce something even unscanned.
 */
const unusedIndexesSql = `SELECT s.schemaname::text AS schema, s.relname::text AS table_name, s.indexrelname::text AS index_name,
  pg_catalog.pg_relation_size(s.indexrelid)::float8 AS bytes,
  pg_catalog.count(*) OVER ()::int AS total,
  pg_catalog.sum(pg_catalog.pg_relation_size(s.indexrelid)) OVER ()::float8 AS total_bytes,
  (SELECT d.stats_reset::text FROM pg_catalog.pg_stat_database d
    WHERE d.datname = pg_catalog.current_database()) AS stats_reset
FROM pg_catalog.pg_stat_user_indexes s
JOIN pg_catalog.pg_index i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0 AND i.indisvalid AND NOT i.indisunique AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = s.indexrelid AND c.contype IN ('p', 'u', 'x'))
ORDER BY bytes DESC, schema, index_name
LIMIT $1`;

export async function checkUnusedIndexes(ctx: CheckContext): Promise<CheckOutcome> {
  const rows = (await ctx.client.query(unusedIndexesSql, [ctx.options.detailRows])).rows;
  const total = rows.length ? num(rows[0].total) : 0;
  const totalBytes = rows.length ? num(rows[0].total_bytes) : 0;
  const since = rows[0]?.stats_reset
    ? `since the statistics reset at ${String(rows[0].stats_reset)}`
    : 'since the statistics began';
  return judged(ctx.options, 'unusedIndexes', total, 'count', {
    message: total
      ? `${total} index(es) of ${formatBytes(totalBytes)} were never scanned ${since} in this database; ` +
        'each still costs every write. A standby keeps its own counts: check it too before dropping.'
      : `Every non-unique index of this database was scanned ${since}.`,
    fix: rows.map((r) => `DROP INDEX CONCURRENTLY ${qualified(String(r.schema), String(r.index_name))};`).join('\n'),
    details: rows.map((r) => ({
      schema: String(r.schema),
      table: String(r.table_name),
      index: String(r.index_name),
      bytes: num(r.bytes),
    })),
  });
}

/** Invalid indexes, with whether a CREATE INDEX (CONCURRENTLY) is still building each one. */
const invalidIndexesSql = `SELECT n.nspname::text AS schema, c.relname::text AS index_name, t.relname::text AS table_name,
  i.indisunique AS is_unique, pg_catalog.pg_relation_size(c.oid)::float8 AS bytes,
  EXISTS (SELECT 1 FROM pg_catalog.pg_stat_progress_create_index p WHERE p.index_relid = c.oid) AS building
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT i.indisvalid AND NOT pg_catalog.pg_is_other_temp_schema(n.oid)
ORDER BY n.nspname, c.relname
LIMIT 1000`;

export async function checkInvalidIndexes(ctx: CheckContext): Promise<CheckOutcome> {
  const all = (await ctx.client.query(invalidIndexesSql)).rows;
  const building = all.filter((r) => r.building);
  const invalid = all.filter((r) => !r.building);
  const shown = invalid.slice(0, ctx.options.detailRows);
  const fix = invalid
    .map((r) => {
      const name = qualified(String(r.schema), String(r.index_name));
      return (
        `DROP INDEX CONCURRENTLY ${name};  -- then create it again, or rebuild it in place: REINDEX INDEX CONCURRENTLY ${name};` +
        (r.is_unique ? ' (a unique index fails again until its duplicate rows are gone)' : '')
      );
    })
    .join('\n');
  const names = shown.map((r) => `${String(r.schema)}.${String(r.index_name)}`).join(', ');
  return judged(ctx.options, 'invalidIndexes', invalid.length, 'count', {
    message:
      (invalid.length
        ? `${invalid.length} invalid index(es) in this database (${names}${invalid.length > shown.length ? ', …' : ''}): ` +
          'left by a failed CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY, never used by queries but updated by every write.'
        : 'No invalid index in this database.') +
      (building.length ? ` ${building.length} more are being built right now (not counted).` : ''),
    fix,
    details: shown.map((r) => ({
      schema: String(r.schema),
      table: String(r.table_name),
      index: String(r.index_name),
      unique: !!r.is_unique,
      bytes: num(r.bytes),
    })),
  });
}

/**
 * Sets of valid indexes of one table with the same method, columns, operator classes, collations,
 * options, expressions and predicate, the one to keep first: primary key, unique, backing a constraint.
 */
const duplicateIndexesSql = `SELECT n.nspname::text AS schema, t.relname::text AS table_name,
  pg_catalog.array_agg(c.relname::text ORDER BY i.indisprimary DESC, i.indisunique DESC, con.oid IS NOT NULL DESC, c.relname)
    AS indexes,
  pg_catalog.array_agg(con.conname::text ORDER BY i.indisprimary DESC, i.indisunique DESC, con.oid IS NOT NULL DESC, c.relname)
    AS constraints,
  pg_catalog.array_agg(pg_catalog.pg_relation_size(c.oid)::float8
    ORDER BY i.indisprimary DESC, i.indisunique DESC, con.oid IS NOT NULL DESC, c.relname) AS sizes
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x')
WHERE i.indisvalid AND ${userSchemas}
GROUP BY n.nspname, t.relname, i.indrelid, c.relam, i.indnkeyatts, i.indkey::text, i.indclass::text, i.indcollation::text,
  i.indoption::text, pg_catalog.pg_get_expr(i.indexprs, i.indrelid), pg_catalog.pg_get_expr(i.indpred, i.indrelid)
HAVING pg_catalog.count(*) > 1
ORDER BY n.nspname, t.relname
LIMIT 1000`;

export async function checkDuplicateIndexes(ctx: CheckContext): Promise<CheckOutcome> {
  const sets = (await ctx.client.query(duplicateIndexesSql)).rows.map((r) => ({
    schema: String(r.schema),
    table: String(r.table_name),
    indexes: r.indexes as string[],
    constraints: r.constraints as Array<string | null>,
    sizes: (r.sizes as unknown[]).map(num),
  }));
  const redundant = sets.reduce((n, s) => n + s.indexes.length - 1, 0);
  const details: HealthDetail[] = sets.slice(0, ctx.options.detailRows).map((s) => ({
    schema: s.schema,
    table: s.table,
    keep: s.indexes[0],
    redundant: s.indexes.slice(1).join(', '),
    redundantBytes: s.sizes.slice(1).reduce((a, b) => a + b, 0),
  }));
  const fix = sets
    .flatMap((s) =>
      s.indexes.slice(1).map((index, k) => {
        const constraint = s.constraints[k + 1];
        return constraint
          ? `-- ${qualified(s.schema, index)} backs constraint ${constraint}: drop that constraint instead if it is redundant`
          : `DROP INDEX CONCURRENTLY ${qualified(s.schema, index)};  -- same as ${qualified(s.schema, s.indexes[0])}`;
      }),
    )
    .join('\n');
  return judged(ctx.options, 'duplicateIndexes', redundant, 'count', {
    message: redundant
      ? `${redundant} index(es) duplicate another index of the same table (same columns, method, operator classes, ` +
        'expressions and predicate): they cost every write and help no query.'
      : 'No table of this database has two identical indexes.',
    fix,
    details,
  });
}
