export interface IdentOptions {
  /**
   * For SQL text people read and run with any client (generated documents): a name with characters
   * outside printable ASCII is written as U&"..." with \XXXX escapes, so the text stays one line of
   * ASCII. No line break can end a comment or start a psql meta-command, no client encoding can
   * misread a byte, and no bidi or look-alike character can hide what runs. (PostgreSQL converts the
   * escapes to the server encoding; a SQL_ASCII database refuses those above 007F.)
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
  if (opts.printable && /[^\x20-\x7e]/.test(name)) return unicodeEscapedIdent(name);
  return `"${name.replace(/"/g, '""')}"`;
}

function unicodeEscapedIdent(name: string): string {
  if (/\p{Surrogate}/u.test(name)) throw new Error('SQL identifier is not valid Unicode (lone surrogate)');
  let body = '';
  for (const ch of name) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '\\') body += '\\\\';
    else if (ch === '"') body += '""';
    else if (cp >= 0x20 && cp <= 0x7e) body += ch;
    else body += cp > 0xffff ? `\\+${cp.toString(16).toUpperCase().padStart(6, '0')}` : `\\${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return `U&"${body}"`;
}

/** schema.name, each part quoted. */
export function quoteQualified(schema: string, name: string, opts: IdentOptions = {}): string {
  return `${quoteIdent(schema, opts)}.${quoteIdent(name, opts)}`;
}

/** An SQL string literal, for the few statements that cannot take parameters (e.g. ALTER SYSTEM). */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('SQL literal contains a NUL byte');
  return `'${value.replace(/'/g, "''")}'`;
}
