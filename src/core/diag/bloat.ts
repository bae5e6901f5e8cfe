import { diagError } from './diagErrors';
import type { Queryable } from './queryable';
import { num, numOrNull } from './queryable';

export interface BloatEstimate {
  oid: number;
  schema: string;
  name: string;
  kind: 'table' | 'index';
  /** For an index: the table it belongs to. */
  table: string | null;
  sizeBytes: number;
  wastedBytes: number;
  bloatPct: number;
  fillfactor: number;
  lastVacuum: string | null;
  lastAnalyze: string | null;
  /** Why the estimate may be wrong (no statistics, stale statistics, `name` columns…); null when it looks sound. */
  unreliable: string | null;
}

/**
 * The statistics-based estimate (the method of check_postgres and ioguix/pgsql-bloat-estimation):
 * the expected pages for `reltuples` rows of the average width from pg_stats — tuple header, null
 * bitmap, alignment, line pointer, page header, fillfactor — compared with `relpages`. Cheap: it
 * reads catalogs and statistics only, never a table. Sorted and limited on the server.
 */
export const bloatSql = `WITH consts AS (
  SELECT current_setting('block_size')::numeric AS bs, 8 AS ma
), rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.reltuples::numeric AS reltuples, c.relpages::numeric AS relpages,
         coalesce((SELECT substring(o FROM 'fillfactor=(\\d+)')::int FROM unnest(c.reloptions) o WHERE o LIKE 'fillfactor=%' LIMIT 1),
                  CASE WHEN c.relkind = 'i' THEN 90 ELSE 100 END) AS fillfactor
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
    AND ($2::int8 IS NULL OR c.oid = $2::int8::oid)
    AND (c.relkind IN ('r', 'm') OR (c.relkind = 'i' AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')))
    -- reltuples < 0: never analyzed (14+); before 14 such a table reads 0 pages and 0 rows, so ask its size
    AND (c.relpages > 0 OR c.reltuples < 0
         OR CASE WHEN c.relpages = 0 AND c.reltuples = 0 AND c.relkind <> 'i' THEN pg_relation_size(c.oid) > 0 ELSE false END)
), stats AS MATERIALIZED (
  -- pg_stats is an expensive view (privilege checks per column): read it once
  SELECT schemaname, tablename, attname, null_frac, avg_width FROM pg_stats
  WHERE NOT inherited AND schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname !~ '^pg_toast'
), table_cols AS (
  SELECT r.oid, count(*) AS ncols, count(s.attname) AS with_stats,
         sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS width,
         bool_or(coalesce(s.null_frac, 0) > 0) AS has_nulls, bool_or(a.atttypid = 'name'::regtype) AS has_name
  FROM rels r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN stats s ON s.schemaname = r.nspname AND s.tablename = r.relname AND s.attname = a.attname
  WHERE r.relkind IN ('r', 'm')
  GROUP BY r.oid
), index_cols AS (
  -- a key column takes the statistics of its table column, an expression those of the index itself;
  -- two plain joins (not one CASE join) so the planner can hash them on thousands of relations
  SELECT r.oid, t.relname AS table_name, count(*) AS ncols, count(coalesce(st.attname, se.attname)) AS with_stats,
         sum((1 - coalesce(st.null_frac, se.null_frac, 0)) * coalesce(st.avg_width, se.avg_width, 1024)) AS width,
         bool_or(coalesce(st.null_frac, se.null_frac, 0) > 0) AS has_nulls, bool_or(ia.atttypid = 'name'::regtype) AS has_name
  FROM rels r
  JOIN pg_index i ON i.indexrelid = r.oid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_attribute ia ON ia.attrelid = r.oid AND ia.attnum > 0
  LEFT JOIN pg_attribute ta ON ta.attrelid = i.indrelid AND ta.attnum = i.indkey[ia.attnum - 1] AND i.indkey[ia.attnum - 1] <> 0
  LEFT JOIN stats st ON st.schemaname = r.nspname AND st.tablename = t.relname AND st.attname = ta.attname
  LEFT JOIN stats se ON ta.attname IS NULL AND se.schemaname = r.nspname AND se.tablename = r.relname AND se.attname = ia.attname
  WHERE r.relkind = 'i'
  GROUP BY r.oid, t.relname
), expected AS (
  -- heap: 23-byte header (+ null bitmap), both aligned, 4-byte line pointer, 24-byte page header
  SELECT r.oid, NULL::text AS table_name, tc.ncols, tc.with_stats, tc.has_name,
         ceil(r.reltuples / greatest(1, floor((k.bs - 24) * r.fillfactor / 100
           / (4 + ceil((23 + CASE WHEN tc.has_nulls THEN (7 + tc.ncols) / 8 ELSE 0 END)::numeric / k.ma) * k.ma + ceil(tc.width / k.ma) * k.ma)))) AS est_pages
  FROM rels r JOIN table_cols tc ON tc.oid = r.oid CROSS JOIN consts k
  UNION ALL
  -- btree: 8-byte index tuple header (+ 4-byte null bitmap), aligned, 4-byte item pointer, page header 24 + opaque 16, one metapage
  SELECT r.oid, ic.table_name, ic.ncols, ic.with_stats, ic.has_name,
         1 + ceil(r.reltuples / greatest(1, floor((k.bs - 24 - 16) * r.fillfactor / 100
           / (4 + ceil((8 + CASE WHEN ic.has_nulls THEN 4 ELSE 0 END) / k.ma::numeric) * k.ma + ceil(ic.width / k.ma) * k.ma)))) AS est_pages
  FROM rels r JOIN index_cols ic ON ic.oid = r.oid CROSS JOIN consts k
)
SELECT r.oid::int8 AS oid, r.nspname::text AS schema, r.relname::text AS name,
       CASE WHEN r.relkind = 'i' THEN 'index' ELSE 'table' END AS kind, e.table_name::text AS table_name,
       pg_relation_size(r.oid)::float8 AS size_bytes,
       (greatest(0, r.relpages - e.est_pages) * k.bs)::float8 AS wasted_bytes,
       (100 * greatest(0, r.relpages - e.est_pages) / nullif(r.relpages, 0))::float8 AS bloat_pct,
       r.fillfactor, r.reltuples::float8 AS reltuples, e.ncols, e.with_stats, e.has_name,
       greatest(st.last_vacuum, st.last_autovacuum)::text AS last_vacuum,
       greatest(st.last_analyze, st.last_autoanalyze)::text AS last_analyze,
       st.n_mod_since_analyze::float8 AS mod_since_analyze
FROM rels r JOIN expected e ON e.oid = r.oid CROSS JOIN consts k
LEFT JOIN pg_index ix ON ix.indexrelid = r.oid
LEFT JOIN pg_stat_all_tables st ON st.relid = coalesce(ix.indrelid, r.oid)
ORDER BY wasted_bytes DESC, size_bytes DESC, r.oid
LIMIT $1`;

/** Why an estimate cannot be trusted, from what the statistics look like. */
export function unreliableReason(r: {
  reltuples: number;
  with_stats: number;
  ncols: number;
  has_name: boolean;
  last_analyze: string | null;
  mod_since_analyze: number | null;
}): string | null {
  if (r.reltuples < 0) return 'never analyzed: run ANALYZE';
  if (r.with_stats < r.ncols)
    return (
      `statistics missing for ${r.ncols - r.with_stats} of ${r.ncols} columns: run ANALYZE, or ` +
      `this role cannot read them (grant SELECT on the table, or pg_read_all_data on 14+)`
    );
  if (r.has_name) return 'has columns of type name, whose statistics do not match their size';
  if (r.mod_since_analyze !== null && r.reltuples > 0 && r.mod_since_analyze > 0.2 * r.reltuples)
    return `statistics stale (${r.mod_since_analyze} rows changed since the last analyze): run ANALYZE`;
  return null;
}

/** The estimates, largest waste first; of one relation when `oid` is given. */
export async function estimateBloat(client: Queryable, limit = 50, oid?: number): Promise<BloatEstimate[]> {
  let rows: Array<Record<string, unknown>>;
  try {
    rows = (await client.query(bloatSql, [limit, oid ?? null])).rows;
  } catch (err) {
    throw diagError(err, 'Estimating bloat');
  }
  return rows.map((r) => ({
    oid: num(r.oid),
    schema: String(r.schema),
    name: String(r.name),
    kind: r.kind === 'index' ? 'index' : 'table',
    table: (r.table_name as string | null) ?? null,
    sizeBytes: num(r.size_bytes),
    wastedBytes: num(r.wasted_bytes),
    bloatPct: Math.round(num(r.bloat_pct) * 10) / 10,
    fillfactor: num(r.fillfactor),
    lastVacuum: (r.last_vacuum as string | null) ?? null,
    lastAnalyze: (r.last_analyze as string | null) ?? null,
    unreliable: unreliableReason({
      reltuples: num(r.reltuples),
      with_stats: num(r.with_stats),
      ncols: num(r.ncols),
      has_name: !!r.has_name,
      last_analyze: (r.last_analyze as string | null) ?? null,
      mod_since_analyze: numOrNull(r.mod_since_analyze),
    }),
  }));
}
