/**
 * The one helper that turns a name into an SQL identifier. Everything else in the
 * project passes values as parameters ($1, $2 …); only identifiers go through here.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (name.includes('\0')) throw new Error('SQL identifier contains a NUL byte');
  return `"${name.replace(/"/g, '""')}"`;
}

/** schema.name, each part quoted. */
export function quoteQualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** An SQL string literal, for the few statements that cannot take parameters (e.g. ALTER SYSTEM). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('SQL literal contains a NUL byte');
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The search_path of every session pgops opens (CVE-2018-1058): the catalog only, and the session's
 * temporary schema named last so its objects never shadow the catalog's. Function lookup picks the
 * best-matching signature anywhere on the path, so `public.unnest(text[])` would beat
 * `pg_catalog.unnest(anyarray)` even with pg_catalog first: nothing but the catalog may be on it.
 */
export const pinnedSearchPath: readonly string[] = ['pg_catalog', 'pg_temp'];

/**
 * `-c search_path=…` for a startup `options` string or PGOPTIONS: each schema quoted, and the
 * whitespace and backslashes the server splits options on escaped with a backslash.
 */
export function searchPathOption(schemas: readonly string[]): string {
  if (schemas.length === 0) throw new Error('empty search_path');
  const value = schemas.map(quoteIdent).join(',');
  return `-c search_path=${value.replace(/[\\\s]/g, (c) => `\\${c}`)}`;
}
