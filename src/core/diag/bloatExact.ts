import { PgOpsError } from '../errors';
import { quoteQualified } from '../sql';
import { diagError } from './diagErrors';
import type { Queryable } from './queryable';
import { num } from './queryable';

export type ExactMethod = 'pgstattuple_approx' | 'pgstattuple' | 'pgstatindex';

export interface ExactBloat {
  method: ExactMethod;
  sizeBytes: number;
  /** Dead tuples plus free space (tables), or space below the fillfactor's leaf density (indexes). */
  wastedBytes: number;
  bloatPct: number;
  details: Record<string, number>;
}

/** What the user is told before measuring: these functions read every page (approx: the pages not all-visible). */
export const exactCostWarning =
  'Measuring exactly reads the whole relation (pgstattuple_approx skips all-visible pages) under an ACCESS SHARE lock: it costs I/O on a busy server.';

async function pgstattupleSchema(client: Queryable): Promise<string> {
  const r = await client.query<{ nspname: string }>(
    "SELECT n.nspname::text AS nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgstattuple'",
  );
  const schema = r.rows[0]?.nspname;
  if (!schema)
    throw new PgOpsError(
      'pgstattuple-missing',
      'The pgstattuple extension is not created in this database',
      'A superuser runs CREATE EXTENSION pgstattuple; (contrib), then members of pg_stat_scan_tables can measure.',
    );
  return schema;
}

/**
 * Measures one relation with pgstattuple: `pgstattuple_approx` (default for tables) or the full
 * `pgstattuple` scan, `pgstatindex` for a btree index. The figures sit next to the estimate.
 */
export async function measureBloat(
  client: Queryable,
  oid: number,
  kind: 'table' | 'index',
  opts: { exact?: boolean; fillfactor?: number } = {},
): Promise<ExactBloat> {
  const schema = await pgstattupleSchema(client);
  try {
    if (kind === 'index') {
      const r = (await client.query(`SELECT * FROM ${quoteQualified(schema, 'pgstatindex')}($1::oid::regclass)`, [oid]))
        .rows[0];
      const ff = opts.fillfactor ?? 90;
      const density = num(r.avg_leaf_density);
      const pct = Math.max(0, 100 * (1 - density / ff));
      const size = num(r.index_size);
      return {
        method: 'pgstatindex',
        sizeBytes: size,
        wastedBytes: Math.round((size * pct) / 100),
        bloatPct: round1(pct),
        details: numbers(r),
      };
    }
    if (opts.exact) {
      const r = (await client.query(`SELECT * FROM ${quoteQualified(schema, 'pgstattuple')}($1::oid::regclass)`, [oid]))
        .rows[0];
      const size = num(r.table_len);
      const wasted = num(r.dead_tuple_len) + num(r.free_space);
      return {
        method: 'pgstattuple',
        sizeBytes: size,
        wastedBytes: wasted,
        bloatPct: round1(size > 0 ? (100 * wasted) / size : 0),
        details: numbers(r),
      };
    }
    const r = (
      await client.query(`SELECT * FROM ${quoteQualified(schema, 'pgstattuple_approx')}($1::oid::regclass)`, [oid])
    ).rows[0];
    const size = num(r.table_len);
    const wasted = num(r.dead_tuple_len) + num(r.approx_free_space);
    return {
      method: 'pgstattuple_approx',
      sizeBytes: size,
      wastedBytes: wasted,
      bloatPct: round1(size > 0 ? (100 * wasted) / size : 0),
      details: numbers(r),
    };
  } catch (err) {
    throw diagError(err, `Measuring bloat of relation ${oid}`, 'pg_stat_scan_tables');
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function numbers(r: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, num(v)]));
}
