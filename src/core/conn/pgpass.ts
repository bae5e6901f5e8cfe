import * as fs from 'node:fs';

/** What the password file said, for the caller to log (never the password itself). */
export interface PgpassLookup {
  password?: string;
  /** 1-based line of the matching entry. */
  line?: number;
  /** Set when libpq would ignore the file, with libpq's warning text. */
  warning?: string;
  /** Set when the file exists but libpq would ignore it: it is not a plain file, or others may read it. */
  ignored?: 'not-a-file' | 'permissions';
}

export interface PgpassKey {
  host: string;
  port: string;
  dbname: string;
  user: string;
}

/**
 * Looks up a password the way libpq's passwordFromFile does: `*` matches a whole field, `\:` and
 * `\\` escape, the first matching line wins, and a file readable by group or others is ignored
 * with a warning (the caller surfaces it, and names it when authentication then fails).
 */
export function lookupPgpass(file: string, key: PgpassKey): PgpassLookup {
  if (!key.dbname || !key.user) return {};
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return {};
  }
  if (!st.isFile()) return { ignored: 'not-a-file', warning: `password file "${file}" is not a plain file` };
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    return {
      ignored: 'permissions',
      warning: `password file "${file}" has group or world access; permissions should be u=rw (0600) or less`,
    };
  }
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/\r$/, '');
    if (line === '' || line.startsWith('#')) continue;
    let rest: string | undefined = line;
    for (const token of [key.host, key.port, key.dbname, key.user]) {
      rest = matchField(rest, token);
      if (rest === undefined) break;
    }
    if (rest !== undefined) return { password: unescapePassword(rest), line: i + 1 };
  }
  return {};
}

/** The text after a field that matches `token` (or is `*`), or undefined. */
function matchField(buf: string, token: string): string | undefined {
  if (buf.startsWith('*:')) return buf.slice(2);
  let t = 0;
  for (let i = 0; i < buf.length; i++) {
    let c = buf[i];
    let escaped = false;
    if (c === '\\' && i + 1 < buf.length) {
      c = buf[++i];
      escaped = true;
    }
    if (c === ':' && !escaped) return t === token.length ? buf.slice(i + 1) : undefined;
    if (t >= token.length || c !== token[t]) return undefined;
    t++;
  }
  return undefined;
}

function unescapePassword(rest: string): string {
  let out = '';
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === ':') break;
    if (rest[i] === '\\' && i + 1 < rest.length) i++;
    out += rest[i];
  }
  return out;
}
