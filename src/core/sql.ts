export interface IdentOptions {
  /**
   * For SQL text people read and run with any client (generated documents): characters outside
   * printable ASCII are written as Unicode escapes (names U&"..." with \XXXX, strings E'...' with
   * \uXXXX), so the text stays one line of ASCII. No line break can end a comment or start a psql
   * meta-command, no client encoding can misread a byte, and no bidi or look-alike character can hide
   * what runs. (PostgreSQL converts the escapes to the server encoding; a SQL_ASCII database refuses
   * those above 007F.)
   */
  printable?: boolean;
}

/**
 * The one helper that turns a name into an SQL identifier. Everything else in the
 * project passes values as parameters ($1, $2 …); only identifiers go through here.
 */
export function quoteIdent(name: string, opts: IdentOptions = {}): string {
  if (name.length === 0) throw new Error('empty SQL identifier');
  if (name.includes('\0')) throw new Error('SQL identifier contains a NUL byte');
  if (opts.printable && /[^\x20-\x7e]/.test(name)) {
    return `U&"${escapedBody(name, '"', true, (cp) => (cp > 0xffff ? `\\+${hex(cp, 6)}` : `\\${hex(cp, 4)}`))}"`;
  }
  return `"${name.replace(/"/g, '""')}"`;
}

function hex(cp: number, digits: number): string {
  return cp.toString(16).toUpperCase().padStart(digits, '0');
}

/**
 * The body of a quoted name or E'' string: backslashes doubled, the quote character doubled and, when
 * `printable`, each character outside printable ASCII written by `escape` (a Unicode escape).
 */
function escapedBody(text: string, quote: string, printable: boolean, escape: (codePoint: number) => string): string {
  if (/\p{Surrogate}/u.test(text)) throw new Error('SQL text is not valid Unicode (lone surrogate)');
  let body = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\\') body += '\\\\';
    else if (ch === quote) body += quote + quote;
    else if (!printable || (cp >= 0x20 && cp <= 0x7e)) body += ch;
    else body += escape(cp);
  }
  return body;
}

/** schema.name, each part quoted. */
export function quoteQualified(schema: string, name: string, opts: IdentOptions = {}): string {
  return `${quoteIdent(schema, opts)}.${quoteIdent(name, opts)}`;
}

/**
 * An SQL string literal, for the few statements that cannot take parameters (e.g. ALTER SYSTEM).
 * A value with a backslash is written E'...' with the backslash doubled, which reads the same whatever
 * standard_conforming_strings is (and `printable` escapes as IdentOptions says).
 */
export function quoteLiteral(value: string, opts: IdentOptions = {}): string {
  if (value.includes('\0')) throw new Error('SQL literal contains a NUL byte');
  const printable = opts.printable === true;
  if (!value.includes('\\') && !(printable && /[^\x20-\x7e]/.test(value))) return `'${value.replace(/'/g, "''")}'`;
  return `E'${escapedBody(value, "'", printable, (cp) => (cp > 0xffff ? `\\U${hex(cp, 8)}` : `\\u${hex(cp, 4)}`))}'`;
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
  return settingOption('search_path', schemas.map((s) => quoteIdent(s)).join(','));
}

/** `-c name=value` for a startup `options` string or PGOPTIONS, the value's whitespace and backslashes escaped. */
export function settingOption(name: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_$.]*$/.test(name)) throw new Error(`not a setting name: ${JSON.stringify(name)}`);
  if (value.includes('\0')) throw new Error('setting value contains a NUL byte');
  return `-c ${name}=${value.replace(/[\\\s]/g, (c) => `\\${c}`)}`;
}
