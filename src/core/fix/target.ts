/**
 * The relation a fix works on, read from the catalog: what it is, how big it and its indexes are,
 * which key pg_repack could use, and where it lives on disk.
 */
import { PgOpsError } from '../errors';
import { diagStep } from '../diag/diagErrors';
import type { Queryable } from '../diag/queryable';
import { num, numOrNull } from '../diag/queryable';
import { quoteQualified } from '../sql';

export interface FixIndex {
  oid: number;
  schema: string;
  name: string;
  bytes: number;
  valid: boolean;
  primary: boolean;
  unique: boolean;
  /** A unique index over NOT NULL plain columns, without a predicate: a key pg_repack can use. */
  usableKey: boolean;
}

export interface FixObject {
  /** What was asked for: the table, or one of its indexes. */
  kind: 'table' | 'index';
  oid: number;
  schema: string;
  name: string;
  /** The table itself, or the table of the index. */
  table: { oid: number; schema: string; name: string; relkind: string };
  /** pg_table_size of the table (heap, TOAST, free space and visibility maps). */
  tableBytes: number;
  /** All indexes of the table (pg_indexes_size). */
  indexesBytes: number;
  /** The index asked for (kind index), else null. */
  indexBytes: number | null;
  indexes: FixIndex[];
  /** The tablespace the table lives in: its name, and its directory ('' for pg_default and pg_global). */
  tablespace: { name: string; location: string };
  /** The table is owned by the role that asks, or the role is a superuser. */
  ownedByUs: boolean;
}

/** A name as the user writes it in SQL (`public."My T"`), split by the server's own rules. */
export async function splitName(client: Queryable, text: string, flag: string): Promise<string[]> {
  if (!text.trim())
    throw new PgOpsError('fix-name', `${flag} is empty`, `Give ${flag} a name such as public.t or "My Table".`);
  try {
    const r = await client.query<{ parts: string[] }>('SELECT pg_catalog.parse_ident($1) AS parts', [text]);
    const parts = r.rows[0].parts;
    if (parts.length <= 2) return parts;
  } catch (err) {
    throw new PgOpsError(
      'fix-name',
      `${flag} ${JSON.stringify(text)} is not a name: ${(err as Error).message}`,
      `Write it as in SQL: schema.name, with double quotes around a part that has capitals, spaces or quotes (${flag} 'public."My Table"').`,
    );
  }
  throw new PgOpsError(
    'fix-name',
    `${flag} ${JSON.stringify(text)} has more than two parts`,
    `Give schema.name (the database comes from the connection), e.g. ${flag} public.t.`,
  );
}

const relationSql = `SELECT c.oid::int8 AS oid, n.nspname::text AS schema, c.relname::text AS name, c.relkind::text AS relkind,
  t.oid::int8 AS table_oid, tn.nspname::text AS table_schema, t.relname::text AS table_name, t.relkind::text AS table_relkind
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid
JOIN pg_catalog.pg_class t ON t.oid = coalesce(x.indrelid, c.oid)
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.relnamespace
WHERE c.relname = $2
  AND (n.nspname = $1 OR ($1 IS NULL AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_(toast|temp_)' AND n.nspname <> 'repack'))
ORDER BY n.nspname`;

const factsSql = `SELECT pg_catalog.pg_table_size(t.oid)::float8 AS table_bytes,
  pg_catalog.pg_indexes_size(t.oid)::float8 AS indexes_bytes,
  coalesce(sp.spcname, dsp.spcname)::text AS spcname,
  pg_catalog.pg_tablespace_location(coalesce(sp.oid, dsp.oid)) AS location,
  (pg_catalog.pg_has_role(t.relowner, 'USAGE')
   OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user)) AS owned
FROM pg_catalog.pg_class t
LEFT JOIN pg_catalog.pg_tablespace sp ON sp.oid = t.reltablespace
JOIN pg_catalog.pg_database d ON d.datname = pg_catalog.current_database()
JOIN pg_catalog.pg_tablespace dsp ON dsp.oid = d.dattablespace
WHERE t.oid = $1`;

const indexesSql = `SELECT i.indexrelid::int8 AS oid, n.nspname::text AS schema, c.relname::text AS name,
  pg_catalog.pg_relation_size(i.indexrelid)::float8 AS bytes, i.indisvalid AS valid, i.indisprimary AS primary,
  i.indisunique AS unique,
  (i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL AND NOT EXISTS (
     SELECT 1 FROM pg_catalog.unnest(i.indkey) k(attnum)
     LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE a.attnum IS NULL OR NOT a.attnotnull)) AS usable_key
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE i.indrelid = $1
ORDER BY c.relname`;

/** Looks the relation up by the name the user gave (`--table` or `--index`), refusing anything else it could be. */
export async function findFixObject(client: Queryable, spec: { table?: string; index?: string }): Promise<FixObject> {
  const kind: 'table' | 'index' = spec.index !== undefined ? 'index' : 'table';
  const flag = kind === 'index' ? '--index' : '--table';
  const text = spec.index ?? spec.table ?? '';
  const parts = await splitName(client, text, flag);
  const [schema, name] = parts.length === 2 ? parts : [null, parts[0]];
  const rows = await diagStep(`Looking up ${flag} ${JSON.stringify(text)}`, 'pg_monitor', async () => {
    return (await client.query(relationSql, [schema, name])).rows;
  });
  if (rows.length === 0)
    throw new PgOpsError(
      'fix-not-found',
      `${flag} ${JSON.stringify(text)}: no such relation in this database`,
      schema === null
        ? 'Check the name and the database (--conn); write it as schema.name when it is not in one of your schemas.'
        : 'Check the name and the database (--conn).',
    );
  if (rows.length > 1)
    throw new PgOpsError(
      'fix-ambiguous',
      `${flag} ${JSON.stringify(text)} names relations in several schemas: ${rows.map((r) => String(r.schema)).join(', ')}`,
      `Qualify it: ${flag} ${rows[0].schema}.${name}.`,
    );
  const r = rows[0];
  const relkind = String(r.relkind);
  const wanted = kind === 'index' ? ['i'] : ['r', 'm'];
  if (!wanted.includes(relkind))
    throw new PgOpsError(
      'fix-wrong-kind',
      `${flag} ${JSON.stringify(text)} is ${relkindWords[relkind] ?? `a relation of kind ${relkind}`}, not ${kind === 'index' ? 'an index' : 'a table'}`,
      kind === 'index'
        ? 'Give an index with --index, or its table with --table.'
        : 'Give a table or materialized view with --table, or an index with --index (partitions are fixed one by one).',
    );
  const tableOid = num(r.table_oid);
  const facts = (await client.query(factsSql, [tableOid])).rows[0];
  const indexes = (await client.query(indexesSql, [tableOid])).rows.map((x): FixIndex => ({
    oid: num(x.oid),
    schema: String(x.schema),
    name: String(x.name),
    bytes: num(x.bytes),
    valid: !!x.valid,
    primary: !!x.primary,
    unique: !!x.unique,
    usableKey: !!x.usable_key,
  }));
  const oid = num(r.oid);
  return {
    kind,
    oid,
    schema: String(r.schema),
    name: String(r.name),
    table: {
      oid: tableOid,
      schema: String(r.table_schema),
      name: String(r.table_name),
      relkind: String(r.table_relkind),
    },
    tableBytes: num(facts.table_bytes),
    indexesBytes: num(facts.indexes_bytes),
    indexBytes: kind === 'index' ? (indexes.find((i) => i.oid === oid)?.bytes ?? null) : null,
    indexes,
    tablespace: { name: String(facts.spcname), location: String(facts.location ?? '') },
    ownedByUs: !!facts.owned,
  };
}

const relkindWords: Record<string, string> = {
  r: 'a table',
  i: 'an index',
  S: 'a sequence',
  v: 'a view',
  m: 'a materialized view',
  c: 'a composite type',
  t: 'a TOAST table',
  f: 'a foreign table',
  p: 'a partitioned table',
  I: 'a partitioned index',
};

/** schema.name of the object, quoted for SQL. */
export function qualifiedName(o: { schema: string; name: string }, printable = false): string {
  return quoteQualified(o.schema, o.name, { printable });
}

/** Sizes of the table and its indexes now, for the before/after summary. */
export interface FixSizes {
  tableBytes: number;
  indexesBytes: number;
  /** The index fixed, when one was. */
  indexBytes: number | null;
}

export async function readSizes(client: Queryable, o: FixObject): Promise<FixSizes> {
  const r = (
    await client.query(
      `SELECT pg_catalog.pg_table_size($1::oid)::float8 AS t, pg_catalog.pg_indexes_size($1::oid)::float8 AS i,
         pg_catalog.pg_relation_size(pg_catalog.to_regclass($2))::float8 AS x`,
      // by name: REINDEX CONCURRENTLY gives the rebuilt index a new oid under the old name
      [o.table.oid, o.kind === 'index' ? qualifiedName(o) : null],
    )
  ).rows[0];
  return { tableBytes: num(r.t), indexesBytes: num(r.i), indexBytes: numOrNull(r.x) };
}
