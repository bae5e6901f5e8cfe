/**
 * The tokenizer shared by pg_hba.conf and pg_ident.conf, following hba.c's tokenize_auth_file:
 * backslash continuation (PG14+), `#` comments, double quotes (`""` is a literal quote), comma lists,
 * `@file` name lists (relative to the including file), and the `include`, `include_if_exists` and
 * `include_dir` records (PG16+).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AuthFileProblem, HbaToken } from './types';

/** How files are read, so the editor can hand in an unsaved buffer and tests a fixture tree. */
export interface AuthFileReader {
  /** The file's text; throws an errno error (ENOENT, EACCES, …) when it cannot be read. */
  read(file: string): string;
  /** Names of the regular files in a directory; throws when the directory cannot be read. */
  listFiles(dir: string): string[];
}

export const fsReader: AuthFileReader = {
  read: (file) => fs.readFileSync(file, 'utf8'),
  listFiles: (dir) =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => d.name),
};

/** A reader that serves one file from memory (an editor buffer) and the rest from `fallback`. */
export function overlayReader(file: string, text: string, fallback: AuthFileReader = fsReader): AuthFileReader {
  const resolved = path.resolve(file);
  return {
    read: (f) => (path.resolve(f) === resolved ? text : fallback.read(f)),
    listFiles: (d) => fallback.listFiles(d),
  };
}

export interface TokenizedLine {
  file: string;
  line: number;
  rawLine: string;
  fields: HbaToken[][];
  error?: string;
}

export interface Tokenized {
  lines: TokenizedLine[];
  /** Messages the server logs without refusing the file (a skipped include_if_exists). */
  warnings: AuthFileProblem[];
  files: string[];
}

/** CONF_FILE_MAX_DEPTH in the server. */
const maxDepth = 10;

interface Context {
  major: number;
  reader: AuthFileReader;
  warnings: AuthFileProblem[];
  files: string[];
}

function errnoText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (err as Error).message;
}

/** Opens a file the way open_auth_file does: depth check first, then the read. */
function openAuthFile(file: string, depth: number, ctx: Context): { text?: string; error?: string; missing?: boolean } {
  if (depth > maxDepth) return { error: `could not open file "${file}": maximum nesting depth exceeded` };
  try {
    const text = ctx.reader.read(file);
    if (!ctx.files.includes(file)) ctx.files.push(file);
    return { text };
  } catch (err) {
    return {
      error: `could not open file "${file}": ${errnoText(err)}`,
      missing: (err as NodeJS.ErrnoException).code === 'ENOENT',
    };
  }
}

/** AbsoluteConfigLocation: relative names are relative to the directory of the file that names them. */
export function resolveAgainst(name: string, outerFile: string): string {
  return path.isAbsolute(name) ? path.normalize(name) : path.join(path.dirname(outerFile), name);
}

/** Splits text into logical lines, joining backslash continuations (PG14+) and keeping first-line numbers. */
function logicalLines(text: string, major: number): Array<{ line: number; text: string }> {
  const physical = text.split('\n');
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const out: Array<{ line: number; text: string }> = [];
  for (let i = 0; i < physical.length;) {
    const first = i;
    let buf = '';
    let lastBackslashLen = 0;
    for (;;) {
      buf += physical[i].replace(/[\r\n]+$/, '');
      i += 1;
      // The backslash must come after the last continuation point (hba.c's last_backslash_buflen).
      if (major >= 14 && buf.length > lastBackslashLen && buf.endsWith('\\') && i <= physical.length) {
        buf = buf.slice(0, -1);
        lastBackslashLen = buf.length;
        if (i < physical.length) continue;
      }
      break;
    }
    out.push({ line: first + 1, text: buf });
  }
  return out;
}

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r';

/** MAX_TOKEN - 1 bytes: up to PostgreSQL 15 a longer token makes its line an error; 16 reads tokens of any length. */
const maxTokenBytesUpTo15 = 10239;

/** UTF-8 bytes of one UTF-16 code unit (each half of a surrogate pair counts 2: 4 for the pair). */
const utf8Bytes = (c: string): number => {
  const u = c.charCodeAt(0);
  return u < 0x80 ? 1 : u < 0x800 || (u >= 0xd800 && u < 0xe000) ? 2 : 3;
};

/** next_token: one token from `s` at `pos`, with whether it started with a quote and ended at a comma. */
function nextToken(
  s: string,
  pos: number,
  maxBytes: number,
): { token?: string; initialQuote: boolean; comma: boolean; pos: number; tooLong?: true } {
  let i = pos;
  while (i < s.length && (isBlank(s[i]) || s[i] === ',')) i += 1;
  let buf = '';
  let inQuote = false;
  let wasQuote = false;
  let sawQuote = false;
  let initialQuote = false;
  let comma = false;
  let bytes = 0;
  while (i < s.length && (!isBlank(s[i]) || inQuote)) {
    const c = s[i];
    if (c === '#' && !inQuote) {
      i = s.length;
      break;
    }
    // hba.c checks each byte before storing it, so a character that would not fit ends the line too
    if (bytes + utf8Bytes(c) > maxBytes) return { initialQuote, comma, pos: s.length, tooLong: true };
    if (c === ',' && !inQuote) {
      comma = true;
      break;
    }
    if (c !== '"' || wasQuote) {
      buf += c;
      bytes += utf8Bytes(c);
    }
    wasQuote = inQuote && c === '"' ? !wasQuote : false;
    if (c === '"') {
      inQuote = !inQuote;
      sawQuote = true;
      if (buf.length === 0) initialQuote = true;
    }
    i += 1;
  }
  return { token: sawQuote || buf.length > 0 ? buf : undefined, initialQuote, comma, pos: i };
}

/** next_field_expand: the comma-separated tokens of one field, with `@file` lists expanded in place. */
function nextField(
  s: string,
  pos: number,
  file: string,
  depth: number,
  ctx: Context,
): { tokens: HbaToken[]; pos: number; error?: string } {
  const tokens: HbaToken[] = [];
  let error: string | undefined;
  let p = pos;
  for (;;) {
    const t = nextToken(s, p, ctx.major >= 16 ? Infinity : maxTokenBytesUpTo15);
    p = t.pos;
    if (t.tooLong) return { tokens, pos: p, error: 'authentication file token too long' };
    if (t.token === undefined) break;
    if (!t.initialQuote && t.token.length > 1 && t.token[0] === '@') {
      error = expandFile(tokens, file, t.token.slice(1), depth + 1, ctx);
    } else {
      tokens.push({ text: t.token, quoted: t.initialQuote });
    }
    if (!t.comma || error) break;
  }
  return { tokens, pos: p, error };
}

/** tokenize_expand_file: every token of every line of an `@file`, flattened into the current field. */
function expandFile(
  tokens: HbaToken[],
  outerFile: string,
  name: string,
  depth: number,
  ctx: Context,
): string | undefined {
  const full = resolveAgainst(name, outerFile);
  const opened = openAuthFile(full, depth, ctx);
  if (opened.text === undefined) {
    return ctx.major >= 16
      ? opened.error
      : `could not open secondary authentication file "@${name}" as "${full}": ${opened.error?.replace(/^.*": /, '')}`;
  }
  const inner: TokenizedLine[] = [];
  tokenizeText(full, opened.text, depth, ctx, inner);
  for (const line of inner) {
    if (line.error) return line.error;
    for (const field of line.fields) tokens.push(...field);
  }
  return undefined;
}

/** Tokenizes `text` (the content of `file`) into `out`, following include records. */
function tokenizeText(file: string, text: string, depth: number, ctx: Context, out: TokenizedLine[]): void {
  for (const { line, text: raw } of logicalLines(text, ctx.major)) {
    const fields: HbaToken[][] = [];
    let error: string | undefined;
    let pos = 0;
    while (pos < raw.length && !error) {
      const f = nextField(raw, pos, file, depth, ctx);
      if (f.pos === pos && f.tokens.length === 0) break;
      pos = f.pos;
      error = f.error;
      if (f.tokens.length > 0) fields.push(f.tokens);
    }
    if (fields.length === 0 && !error) continue;
    if (!error && ctx.major >= 16 && fields.length === 2) {
      const directive = fields[0][0].text;
      const target = fields[1][0].text;
      if (directive === 'include' || directive === 'include_if_exists') {
        const full = resolveAgainst(target, file);
        const opened = openAuthFile(full, depth + 1, ctx);
        if (opened.text !== undefined) {
          tokenizeText(full, opened.text, depth + 1, ctx, out);
          continue;
        }
        if (directive === 'include_if_exists' && opened.missing) {
          ctx.warnings.push({
            file,
            line,
            severity: 'warning',
            message: `skipping missing authentication file "${full}"`,
          });
          continue;
        }
        error = opened.error;
      } else if (directive === 'include_dir') {
        error = includeDir(file, target, depth, ctx, out);
        if (!error) continue;
      }
    }
    out.push({ file, line, rawLine: raw, fields, error });
  }
}

/** include_dir: files not starting with "." and ending in ".conf", in byte order of their names. */
function includeDir(
  file: string,
  dirName: string,
  depth: number,
  ctx: Context,
  out: TokenizedLine[],
): string | undefined {
  const dir = resolveAgainst(dirName, file);
  let names: string[];
  try {
    names = ctx.reader.listFiles(dir);
  } catch (err) {
    return `could not open directory "${dir}": ${errnoText(err)}`;
  }
  const errors: string[] = [];
  const chosen = names
    .filter((n) => !n.startsWith('.') && n.length > 5 && n.endsWith('.conf'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  for (const name of chosen) {
    const full = path.join(dir, name);
    const opened = openAuthFile(full, depth + 1, ctx);
    if (opened.text === undefined) errors.push(opened.error ?? `could not open file "${full}"`);
    else tokenizeText(full, opened.text, depth + 1, ctx, out);
  }
  return errors.length > 0 ? errors.join('\n') : undefined;
}

/**
 * Tokenizes an authentication file and everything it includes. `text` stands for the top file's content
 * when given (an editor buffer); otherwise the reader reads it, and an unreadable top file is reported as
 * an error on line 0.
 */
export function tokenizeAuthFile(
  file: string,
  opts: { major: number; reader?: AuthFileReader; text?: string },
): Tokenized {
  const ctx: Context = { major: opts.major, reader: opts.reader ?? fsReader, warnings: [], files: [] };
  const lines: TokenizedLine[] = [];
  let text = opts.text;
  if (text === undefined) {
    const opened = openAuthFile(file, 0, ctx);
    if (opened.text === undefined) {
      return { lines: [{ file, line: 0, rawLine: '', fields: [], error: opened.error }], warnings: [], files: [file] };
    }
    text = opened.text;
  } else {
    ctx.files.push(file);
  }
  tokenizeText(file, text, 0, ctx, lines);
  return { lines, warnings: ctx.warnings, files: ctx.files };
}
