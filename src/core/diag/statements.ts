import { PgOpsError } from '../errors';
import { redactText } from '../redact';
import { quoteIdent, quoteQualified } from '../sql';
import { diagError } from './diagErrors';
import type { Queryable } from './queryable';
import type { ExplainAs } from './explain';
import { explainAs, explainStatement } from './explain';
import { num } from './queryable';
import type { ColumnMap, CumulativeCounter, GaugeCounter } from './statementColumns';
import { mapColumns } from './statementColumns';

/** Where pg_stat_statements lives in this database and which columns it has. */
export interface StatementsSource {
  schema: string;
  extVersion: string;
  defaultVersion: string | null;
  serverVersionNum: number;
  columns: ColumnMap;
  /** pg_stat_statements_info exists (1.9+). */
  hasInfo: boolean;
}

export type StatementsProbe =
  | { state: 'unavailable'; serverVersionNum: number }
  | { state: 'not-created'; serverVersionNum: number; defaultVersion: string | null }
  | { state: 'not-preloaded'; source: StatementsSource }
  | { state: 'ready'; source: StatementsSource };

export const statementOrders = ['total', 'mean', 'calls', 'rows', 'io', 'temp', 'wal'] as const;
export type StatementOrder = (typeof statementOrders)[number];

export interface StatementStats {
  /** userid/dbid/queryid/toplevel: the entry's key in pg_stat_statements. */
  key: string;
  userid: number;
  dbid: number;
  queryid: string | null;
  toplevel: boolean | null;
  user: string | null;
  database: string | null;
  query: string | null;
  calls: number;
  /** Execution plus planning time (planning is 0 unless pg_stat_statements.track_planning). */
  totalMs: number;
  meanMs: number;
  rows: number;
  /** Share of the total time of every entry, in percent. */
  sharePct: number;
  statsSince: string | null;
  counters: Partial<Record<CumulativeCounter, number>>;
  gauges: Partial<Record<GaugeCounter, number>>;
}

const probeSql = `SELECT current_setting('server_version_num')::int AS v,
  (SELECT default_version FROM pg_available_extensions WHERE name = 'pg_stat_statements') AS default_version,
  e.extversion, n.nspname,
  current_setting('pg_stat_statements.max', true) IS NOT NULL AS preloaded,
  ARRAY(SELECT attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relname = 'pg_stat_statements' AND c.relnamespace = n.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
  EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = 'pg_stat_statements_info' AND c.relnamespace = n.oid) AS has_info
FROM (SELECT 1) one
LEFT JOIN pg_extension e ON e.extname = 'pg_stat_statements'
LEFT JOIN pg_namespace n ON n.oid = e.extnamespace`;

export type StatementsObjectName = 'pg_stat_statements' | 'pg_stat_statements_info' | 'pg_stat_statements_reset';

/**
 * An object of the extension, qualified with the schema it is installed in: sessions' search_path
 * holds only pg_catalog, and an unqualified name could reach a look-alike in another schema.
 */
export function statementsObject(source: Pick<StatementsSource, 'schema'>, name: StatementsObjectName): string {
  return quoteQualified(source.schema, name);
}

/** Finds the extension in this database, its version and real columns, and whether the library is preloaded. */
export async function probeStatements(client: Queryable): Promise<StatementsProbe> {
  let row: {
    v: number;
    default_version: string | null;
    extversion: string | null;
    nspname: string | null;
    preloaded: boolean;
    columns: string[];
    has_info: boolean;
  };
  try {
    row = (await client.query<typeof row>(probeSql)).rows[0];
  } catch (err) {
    throw diagError(err, 'Checking pg_stat_statements');
  }
  const serverVersionNum = Number(row.v);
  if (!row.extversion || !row.nspname) {
    return row.default_version
      ? { state: 'not-created', serverVersionNum, defaultVersion: row.default_version }
      : { state: 'unavailable', serverVersionNum };
  }
  const source: StatementsSource = {
    schema: row.nspname,
    extVersion: row.extversion,
    defaultVersion: row.default_version,
    serverVersionNum,
    columns: mapColumns(row.columns),
    hasInfo: row.has_info,
  };
  return { state: row.preloaded && (await libraryLoaded(client, source)) ? 'ready' : 'not-preloaded', source };
}

/**
 * The GUC placeholder test alone is fooled by `pg_stat_statements.max` left in postgresql.conf, so
 * the function itself is asked: without the library it fails with SQLSTATE 55000.
 */
async function libraryLoaded(client: Queryable, source: StatementsSource): Promise<boolean> {
  try {
    await client.query(`SELECT 1 FROM ${statementsObject(source, 'pg_stat_statements')}(false) LIMIT 1`);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '55000') return false;
    throw diagError(err, 'Checking pg_stat_statements');
  }
}

/** Probes and insists the extension can be read; the error says exactly what to do. */
export async function requireStatements(client: Queryable): Promise<StatementsSource> {
  const p = await probeStatements(client);
  if (p.state === 'ready') return p.source;
  if (p.state === 'unavailable')
    throw new PgOpsError(
      'pgss-unavailable',
      'pg_stat_statements is not installed on the server (no such extension available)',
      'Install the PostgreSQL contrib package for this server version, preload the library and CREATE EXTENSION pg_stat_statements.',
    );
  if (p.state === 'not-created')
    throw new PgOpsError(
      'pgss-not-created',
      'pg_stat_statements is not created in this database',
      'Run CREATE EXTENSION pg_stat_statements; as a superuser (and make sure it is in shared_preload_libraries).',
    );
  throw new PgOpsError(
    'pgss-not-preloaded',
    'pg_stat_statements is created but the server does not load it',
    "Add pg_stat_statements to shared_preload_libraries (ALTER SYSTEM SET shared_preload_libraries = '…,pg_stat_statements') and restart the server.",
  );
}

function relation(source: StatementsSource, showText: boolean): string {
  const view = statementsObject(source, 'pg_stat_statements');
  return showText ? view : `${view}(false)`;
}

function totalExpr(c: ColumnMap): string {
  const plan = c.cumulative.find(([k]) => k === 'totalPlanMs');
  return plan ? `(s.${quoteIdent(c.execTime)} + s.${quoteIdent(plan[1])})` : `s.${quoteIdent(c.execTime)}`;
}

function orderExpr(order: StatementOrder, c: ColumnMap): string {
  const col = (counter: CumulativeCounter) => {
    const found = c.cumulative.find(([k]) => k === counter);
    return found ? `s.${quoteIdent(found[1])}` : '0';
  };
  switch (order) {
    case 'total':
      return totalExpr(c);
    case 'mean':
      return `${totalExpr(c)} / nullif(s.calls, 0)`;
    case 'calls':
      return 's.calls';
    case 'rows':
      return col('rows');
    case 'io':
      return col('sharedBlksRead');
    case 'temp':
      return `${col('tempBlksRead')} + ${col('tempBlksWritten')}`;
    case 'wal':
      return col('walBytes');
  }
}

/**
 * The SELECT for this installation. `limit` and `order` run on the server; with `queryids` only
 * those entries are returned (used to fetch texts for a delta ranking computed on the client).
 */
export function statementsSql(
  source: StatementsSource,
  opts: {
    order?: StatementOrder;
    limit?: number;
    showText?: boolean;
    byQueryids?: boolean;
    changedOnly?: boolean;
    currentDatabaseOnly?: boolean;
  } = {},
): string {
  const c = source.columns;
  const showText = opts.showText ?? true;
  const select = [
    's.userid::int8 AS userid',
    's.dbid::int8 AS dbid',
    's.queryid::text AS queryid',
    c.toplevel ? 's.toplevel' : 'NULL::bool AS toplevel',
    showText ? 's.query' : 'NULL::text AS query',
    'r.rolname::text AS user_name',
    'd.datname::text AS database',
    ...c.cumulative.map(([k, col]) => `s.${quoteIdent(col)}::float8 AS ${quoteIdent(k)}`),
    ...c.gauges.map(([k, col]) => `s.${quoteIdent(col)}::float8 AS ${quoteIdent(k)}`),
    `${totalExpr(c)}::float8 AS total_ms`,
    c.statsSince ? 's.stats_since::text AS stats_since' : 'NULL::text AS stats_since',
    `(100 * ${totalExpr(c)} / nullif(sum(${totalExpr(c)}) OVER (), 0))::float8 AS share_pct`,
  ];
  const where: string[] = [];
  if (opts.currentDatabaseOnly) where.push('s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())');
  if (opts.byQueryids) where.push('s.queryid = ANY ($1::int8[])');
  if (opts.changedOnly) {
    // entries whose calls are unchanged since the previous snapshot ($1…$5: its keys and calls) are left out
    const toplevel = c.toplevel ? 'coalesce(s.toplevel, true)' : 'true';
    where.push(`NOT EXISTS (SELECT 1
      FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::bool[], $5::float8[]) AS p(userid, dbid, queryid, toplevel, calls)
    WHERE p.userid = s.userid::int8 AND p.dbid = s.dbid::int8 AND p.queryid = s.queryid
      AND p.toplevel = ${toplevel} AND p.calls = s.calls)`);
  }
  const lines = [
    `SELECT ${select.join(',\n       ')}`,
    `FROM ${relation(source, showText)} s`,
    'LEFT JOIN pg_roles r ON r.oid = s.userid',
    'LEFT JOIN pg_database d ON d.oid = s.dbid',
  ];
  if (where.length) lines.push(`WHERE ${where.join(' AND ')}`);
  if (opts.order) lines.push(`ORDER BY ${orderExpr(opts.order, c)} DESC NULLS LAST, s.queryid`);
  if (opts.limit !== undefined && !opts.byQueryids) lines.push(`LIMIT ${Math.max(0, Math.floor(opts.limit))}`);
  return lines.join('\n');
}

export function rowToStats(source: StatementsSource, r: Record<string, unknown>): StatementStats {
  const counters: StatementStats['counters'] = {};
  for (const [k] of source.columns.cumulative) counters[k] = num(r[k]);
  const gauges: StatementStats['gauges'] = {};
  for (const [k] of source.columns.gauges) gauges[k] = num(r[k]);
  const calls = num(r.calls);
  const totalMs = num(r.total_ms);
  const queryid = typeof r.queryid === 'string' || typeof r.queryid === 'number' ? String(r.queryid) : null;
  const toplevel = r.toplevel === null || r.toplevel === undefined ? null : Boolean(r.toplevel);
  return {
    key: `${num(r.userid)}/${num(r.dbid)}/${queryid ?? ''}/${toplevel === null ? '' : toplevel ? 't' : 'f'}`,
    userid: num(r.userid),
    dbid: num(r.dbid),
    queryid,
    toplevel,
    user: (r.user_name as string | null) ?? null,
    database: (r.database as string | null) ?? null,
    // the one way statement texts enter pgops: secrets in them (ALTER ROLE … PASSWORD, …) never go further
    query: typeof r.query === 'string' ? redactText(r.query) : null,
    calls,
    totalMs,
    meanMs: calls > 0 ? totalMs / calls : 0,
    rows: num(r.rows),
    sharePct: num(r.share_pct),
    statsSince: (r.stats_since as string | null) ?? null,
    counters,
    gauges,
  };
}

/** Top statements, cumulative since the last reset, ordered and limited on the server. */
export async function topStatements(
  client: Queryable,
  source: StatementsSource,
  opts: { order?: StatementOrder; limit?: number; currentDatabaseOnly?: boolean } = {},
): Promise<StatementStats[]> {
  const sql = statementsSql(source, {
    order: opts.order ?? 'total',
    limit: opts.limit ?? 50,
    currentDatabaseOnly: opts.currentDatabaseOnly,
  });
  try {
    const r = await client.query(sql);
    return r.rows.map((row) => rowToStats(source, row));
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_statements', 'pg_read_all_stats');
  }
}

/** Every entry's counters without the query texts (cheap): the input of a delta snapshot. */
export async function allStatementCounters(
  client: Queryable,
  source: StatementsSource,
  opts: { currentDatabaseOnly?: boolean } = {},
): Promise<StatementStats[]> {
  try {
    const r = await client.query(
      statementsSql(source, { showText: false, currentDatabaseOnly: opts.currentDatabaseOnly }),
    );
    return r.rows.map((row) => rowToStats(source, row));
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_statements', 'pg_read_all_stats');
  }
}

/** The counters of entries whose calls changed since `prev` (the rest is taken from prev by the caller). */
export async function changedStatementCounters(
  client: Queryable,
  source: StatementsSource,
  prev: StatementStats[],
): Promise<StatementStats[]> {
  const known = prev.filter((e) => e.queryid !== null);
  const params = [
    known.map((e) => e.userid),
    known.map((e) => e.dbid),
    known.map((e) => e.queryid),
    known.map((e) => e.toplevel ?? true),
    known.map((e) => e.calls),
  ];
  try {
    const r = await client.query(statementsSql(source, { showText: false, changedOnly: true }), params);
    return r.rows.map((row) => rowToStats(source, row));
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_statements', 'pg_read_all_stats');
  }
}

/** Query texts for the given queryids (the text file is read once). Keyed by StatementStats.key. */
export async function statementTexts(
  client: Queryable,
  source: StatementsSource,
  queryids: string[],
): Promise<Map<string, string | null>> {
  const texts = new Map<string, string | null>();
  if (queryids.length === 0) return texts;
  try {
    const r = await client.query(statementsSql(source, { byQueryids: true }), [queryids]);
    for (const row of r.rows) {
      const s = rowToStats(source, row);
      texts.set(s.key, s.query);
    }
  } catch (err) {
    throw diagError(err, 'Reading pg_stat_statements texts', 'pg_read_all_stats');
  }
  return texts;
}

export interface ResetPermission {
  allowed: boolean;
  signature: string;
}

/** Whether this role may call pg_stat_statements_reset (revoked from PUBLIC by the extension). */
export async function canResetStatements(client: Queryable, source: StatementsSource): Promise<ResetPermission> {
  const args = source.columns.statsSince ? 'oid, oid, bigint, boolean' : 'oid, oid, bigint';
  const signature = `${statementsObject(source, 'pg_stat_statements_reset')}(${args})`;
  const r = await client
    .query<{ ok: boolean }>("SELECT has_function_privilege($1, 'EXECUTE') AS ok", [signature])
    .catch(() => ({ rows: [{ ok: false }] }));
  return { allowed: !!r.rows[0]?.ok, signature };
}

/** Resets every entry (and pg_stat_statements_info). The caller has confirmed with the user. */
export async function resetStatements(client: Queryable, source: StatementsSource): Promise<void> {
  try {
    await client.query(`SELECT ${statementsObject(source, 'pg_stat_statements_reset')}()`);
  } catch (err) {
    throw diagError(err, 'Resetting pg_stat_statements', 'superuser');
  }
}

/** The first server version (server_version_num) whose EXPLAIN has GENERIC_PLAN, which accepts $1 placeholders. */
export const genericPlanSince = 160000;

/**
 * Why the generic plan of a statement cannot be shown, or undefined when it can: the one gate for the
 * statement panel's button and for explainGenericPlan.
 */
export function genericPlanRefusal(serverVersionNum: number, query: string | null | undefined): PgOpsError | undefined {
  if (serverVersionNum < genericPlanSince)
    return new PgOpsError(
      'explain-version',
      'EXPLAIN (GENERIC_PLAN) needs PostgreSQL 16 or later',
      'Run EXPLAIN with real parameter values in an editor instead.',
    );
  if (!query || query === '<insufficient privilege>')
    return new PgOpsError(
      'explain-no-text',
      'The query text is not available',
      'GRANT pg_read_all_stats (or pg_monitor) to this role to see every statement.',
    );
  if (query.includes(';'))
    return new PgOpsError(
      'explain-multi',
      'The statement text contains ";" and may be more than one statement',
      'Open it in an editor and EXPLAIN the part you need.',
    );
  return undefined;
}

/**
 * The (generic) plan of a normalized statement: PG16+ `EXPLAIN (GENERIC_PLAN)` accepts $1 placeholders. With
 * `owner` (the statement's role and database), the plan is taken as that role with its search_path when this
 * session may become it (explainAs), so unqualified names resolve as they do for the application.
 */
export async function explainGenericPlan(
  client: Queryable,
  serverVersionNum: number,
  query: string,
  owner?: { role: string | null; database: string | null },
): Promise<string> {
  const refusal = genericPlanRefusal(serverVersionNum, query);
  if (refusal) throw refusal;
  return explainOwned(client, 'GENERIC_PLAN', query, owner, 'EXPLAIN (GENERIC_PLAN)');
}

/** EXPLAIN (options) of a statement as its owner when possible; an unresolved name says why and what to do. */
export async function explainOwned(
  client: Queryable,
  options: string,
  query: string,
  owner: { role: string | null; database: string | null } | undefined,
  what: string,
): Promise<string> {
  let as: ExplainAs | null = null;
  try {
    as = owner ? await explainAs(client, owner.role, owner.database) : null;
    return await explainStatement(client, options, query, as);
  } catch (err) {
    const e = diagError(err, what);
    const code = (err as { code?: string }).code;
    if (!as && (code === '42P01' || code === '42883' || code === '42704'))
      throw new PgOpsError(
        e.code,
        e.message,
        'The plan was taken with the catalog-only search_path of this diagnostic session' +
          (owner?.role ? `, since it may not SET ROLE to "${owner.role}"` : '') +
          `: qualify the names (schema.table) in an editor, or GRANT ${owner?.role ? quoteIdent(owner.role) : 'the role'} TO the role pgops connects as.`,
        { cause: err },
      );
    throw e;
  }
}
