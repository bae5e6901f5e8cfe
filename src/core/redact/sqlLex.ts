/**
 * A lenient SQL lexer for redaction: enough of PostgreSQL's scanner to find names, string
 * literals (standard, E'', U&'', B''/X''/N'', dollar-quoted) and punctuation, with their spans in
 * the text. Whitespace is skipped; comments are tokens of their own (a secret may sit in a
 * commented-out statement) that the statement rules step over. It never fails: an unterminated literal or
 * comment (a text cut short, as pg_stat_activity's is) runs to the end, so its tail is still
 * treated as the literal it began. Assumes standard_conforming_strings (the default since 9.1).
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'param' | 'op' | 'comment';

export interface Token {
  kind: TokenKind;
  start: number;
  end: number;
  /** word: lower-cased; ident: unquoted; string: the decoded value; comment: the text between its delimiters; otherwise the text. */
  value: string;
  /** A newline separates it from the previous token (adjacent string literals then concatenate). */
  afterNewline: boolean;
}

// regular expressions live here, not in the loops: a literal in a loop is a new object on every pass
const identStart = /[A-Za-z_\u0080-\uffff]/;
const identPart = /[A-Za-z0-9_$\u0080-\uffff]/;
const dollarTag = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const numberPattern = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const paramPattern = /\$\d+/y;
const escapePattern = /^(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))/;
/** PostgreSQL's scanner knows only ASCII whitespace. */
const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\f' || c === '\v';
const isDigitOrDot = (c: string) => c === '.' || (c >= '0' && c <= '9');

function skipBlockComment(sql: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

const simpleEscapes: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** One backslash escape of an E'' string at `at` (the backslash): its character and where the next begins. */
function escapeAt(sql: string, at: number): [string, number] {
  const rest = sql.slice(at + 1, at + 10);
  const c = rest[0];
  if (c === undefined) return ['\\', at + 1];
  if (simpleEscapes[c]) return [simpleEscapes[c], at + 2];
  const m = escapePattern.exec(rest);
  if (!m) return [c, at + 2];
  const code = m[1] ? parseInt(m[1], 8) : parseInt(m[2] ?? m[3] ?? m[4], 16);
  return [code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd', at + 1 + m[0].length];
}

/** A quoted string or identifier whose opening quote is at `at`; `''` (or `""`) is one quote. */
function quoted(sql: string, at: number, quote: string, escapes: boolean): { end: number; value: string } {
  let value = '';
  let i = at + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === quote) {
      if (sql[i + 1] === quote) {
        value += quote;
        i += 2;
        continue;
      }
      return { end: i + 1, value };
    }
    if (escapes && c === '\\') {
      const [ch, next] = escapeAt(sql, i);
      value += ch;
      i = next;
      continue;
    }
    value += c;
    i++;
  }
  return { end: sql.length, value };
}

/** The token at `i` (not whitespace). */
function tokenAt(sql: string, i: number): Omit<Token, 'afterNewline'> {
  const c = sql[i];
  const next = sql[i + 1];
  const unicode = (c === 'U' || c === 'u') && next === '&';
  if (c === "'" || ('EeBbXxNn'.includes(c) && next === "'") || (unicode && sql[i + 2] === "'")) {
    const q = sql.indexOf("'", i);
    const s = quoted(sql, q, "'", c === 'E' || c === 'e');
    return { kind: 'string', start: i, end: s.end, value: s.value };
  }
  if (c === '"' || (unicode && sql[i + 2] === '"')) {
    const s = quoted(sql, sql.indexOf('"', i), '"', false);
    return { kind: 'ident', start: i, end: s.end, value: s.value };
  }
  if (c === '$') {
    dollarTag.lastIndex = i;
    const tag = dollarTag.exec(sql)?.[0];
    if (tag) {
      const close = sql.indexOf(tag, i + tag.length);
      const end = close < 0 ? sql.length : close + tag.length;
      return { kind: 'string', start: i, end, value: sql.slice(i + tag.length, close < 0 ? sql.length : close) };
    }
    paramPattern.lastIndex = i;
    const p = paramPattern.exec(sql)?.[0];
    if (p) return { kind: 'param', start: i, end: i + p.length, value: p };
  }
  if (identStart.test(c)) {
    let j = i + 1;
    while (j < sql.length && identPart.test(sql[j])) j++;
    return { kind: 'word', start: i, end: j, value: sql.slice(i, j).toLowerCase() };
  }
  numberPattern.lastIndex = i;
  const num = isDigitOrDot(c) ? numberPattern.exec(sql)?.[0] : undefined;
  if (num) return { kind: 'number', start: i, end: i + num.length, value: num };
  return { kind: 'op', start: i, end: i + 1, value: c };
}

export function lexSql(sql: string): Token[] {
  const tokens: Token[] = [];
  let afterNewline = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (isSpace(c)) {
      if (c === '\n') afterNewline = true;
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const eol = sql.indexOf('\n', i);
      const end = eol < 0 ? sql.length : eol;
      tokens.push({ kind: 'comment', start: i, end, value: sql.slice(i + 2, end), afterNewline });
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = skipBlockComment(sql, i);
      const closed = sql.startsWith('*/', end - 2) && end - 2 >= i + 2;
      tokens.push({ kind: 'comment', start: i, end, value: sql.slice(i + 2, closed ? end - 2 : end), afterNewline });
      i = end;
    } else {
      const t = tokenAt(sql, i);
      tokens.push({ ...t, afterNewline });
      afterNewline = false;
      i = t.end;
    }
  }
  return tokens;
}
