/**
 * Small scanners that read generated documents the way psql and a POSIX shell do, for tests that
 * check a document's structure: which statements or commands it holds, and whether anything in it
 * would be interpreted (a psql meta-command or variable, a shell expansion or operator).
 * They follow psql's lexer (src/fe_utils/psqlscan.l) and the POSIX shell grammar for the subset
 * these documents need, and report anything outside that subset instead of guessing.
 */

export type SqlToken = { kind: 'word' | 'punct' | 'string'; text: string } | { kind: 'ident'; name: string };

export interface PsqlScan {
  /** The statements psql would send, as tokens (comments dropped), each without its `;`. */
  statements: SqlToken[][];
  /** Text after the last `;` that psql would still send at the end of the file. */
  trailing: SqlToken[];
  /** Comments, each as written. */
  comments: string[];
  /** What psql would act on itself: backslash meta-commands and :variables outside quotes. */
  interpreted: string[];
}

const identStart = /[A-Za-z_\u0080-\uFFFF]/;
const identCont = /[A-Za-z0-9_$\u0080-\uFFFF]/;
const varChar = /[A-Za-z0-9_\u0080-\uFFFF]/;

/** Reads `U&"..."` escapes: \XXXX, \+XXXXXX and \\ (the default UESCAPE). */
function unicodeUnescape(body: string): string {
  return body.replace(/\\(\\|[0-9A-Fa-f]{4}|\+[0-9A-Fa-f]{6})/g, (_, e: string) =>
    e === '\\' ? '\\' : String.fromCodePoint(parseInt(e.replace('+', ''), 16)),
  );
}

/** Reads an E'...' string body from `from`: backslash escapes and doubled quotes. Returns the value and the end. */
function escapedString(text: string, from: number): [string, number] {
  const named: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
  let value = '';
  for (let j = from; j < text.length; j++) {
    const ch = text[j];
    if (ch === "'" && text[j + 1] === "'") {
      value += "'";
      j++;
    } else if (ch === "'") return [value, j + 1];
    else if (ch !== '\\') value += ch;
    else {
      const e = text[++j];
      const hex = e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (hex) {
        value += String.fromCodePoint(parseInt(text.slice(j + 1, j + 1 + hex), 16));
        j += hex;
      } else value += named[e] ?? e;
    }
  }
  throw new Error('unterminated string literal');
}

/**
 * Splits SQL text the way psql does before sending it. `standardStrings` is the server's
 * standard_conforming_strings: off, a plain '...' string takes backslash escapes too.
 */
export function scanPsql(text: string, standardStrings = true): PsqlScan {
  const out: PsqlScan = { statements: [], trailing: [], comments: [], interpreted: [] };
  let current: SqlToken[] = [];
  let i = 0;
  const until = (end: string, from: number): number => {
    const at = text.indexOf(end, from);
    if (at < 0) throw new Error(`unterminated ${JSON.stringify(text.slice(from - 1, from + 20))}`);
    return at;
  };
  const quoted = (q: string, from: number): [string, number] => {
    let body = '';
    let j = from;
    for (;;) {
      const at = until(q, j);
      body += text.slice(j, at);
      if (text[at + 1] === q) {
        body += q;
        j = at + 2;
      } else return [body, at + 1];
    }
  };
  while (i < text.length) {
    const c = text[i];
    const rest = text.slice(i);
    if (rest.startsWith('--')) {
      const end = rest.search(/[\n\r]/);
      const comment = end < 0 ? rest : rest.slice(0, end);
      out.comments.push(comment);
      i += comment.length;
    } else if (rest.startsWith('/*')) {
      let depth = 0;
      let j = i;
      do {
        const open = text.indexOf('/*', j);
        const close = until('*/', j);
        if (open >= 0 && open < close) {
          depth++;
          j = open + 2;
        } else {
          depth--;
          j = close + 2;
        }
      } while (depth > 0);
      out.comments.push(text.slice(i, j));
      i = j;
    } else if (/^[Uu]&"/.test(rest)) {
      const [body, end] = quoted('"', i + 3);
      current.push({ kind: 'ident', name: unicodeUnescape(body) });
      i = end;
    } else if (c === '"') {
      const [body, end] = quoted('"', i + 1);
      current.push({ kind: 'ident', name: body });
      i = end;
    } else if (/^[Ee]'/.test(rest) || (c === "'" && !standardStrings)) {
      const [value, end] = escapedString(text, i + (c === "'" ? 1 : 2));
      current.push({ kind: 'string', text: value });
      i = end;
    } else if (c === "'") {
      const [body, end] = quoted("'", i + 1);
      current.push({ kind: 'string', text: body });
      i = end;
    } else if (/^[UuNnBbXx]&?'/.test(rest)) {
      throw new Error(
        `a kind of string literal the generated text should not use: ${JSON.stringify(rest.slice(0, 30))}`,
      );
    } else if (c === '$' && /^\$([A-Za-z_\u0080-\uFFFF][A-Za-z0-9_\u0080-\uFFFF]*)?\$/.test(rest)) {
      throw new Error(`dollar quote in a generated statement: ${JSON.stringify(rest.slice(0, 30))}`);
    } else if (c === '\\') {
      out.interpreted.push(rest.split(/[\n\r]/)[0]);
      i += 1;
    } else if (c === ':' && rest.startsWith('::')) {
      current.push({ kind: 'punct', text: '::' });
      i += 2;
    } else if (c === ':' && (varChar.test(rest[1] ?? '') || /^:['"]|^:\{\?/.test(rest))) {
      out.interpreted.push(rest.split(/[\s;]/)[0]);
      i += 1;
    } else if (c === ';') {
      out.statements.push(current);
      current = [];
      i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (identStart.test(c)) {
      let j = i + 1;
      while (j < text.length && identCont.test(text[j])) j++;
      current.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    } else if (/[(),.=]/.test(c)) {
      current.push({ kind: 'punct', text: c });
      i += 1;
    } else {
      throw new Error(`unexpected ${JSON.stringify(c)} at ${JSON.stringify(rest.slice(0, 30))}`);
    }
  }
  out.trailing = current;
  return out;
}

export interface ShScan {
  /** Each simple command's words after quote removal. */
  commands: string[][];
  comments: string[];
  /** Anything a shell would expand or treat as an operator (unquoted $, `, ;, |, globs, assignments…). */
  interpreted: string[];
}

/** Splits shell text the way a POSIX shell does: comments, single quotes, backslash escapes, newlines. */
export function scanSh(text: string): ShScan {
  const out: ShScan = { commands: [], comments: [], interpreted: [] };
  let words: string[] = [];
  let word: string | undefined;
  const endWord = () => {
    if (word === undefined) return;
    words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length) out.commands.push(words);
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#' && word === undefined) {
      const end = text.indexOf('\n', i);
      out.comments.push(text.slice(i, end < 0 ? text.length : end));
      i = end < 0 ? text.length : end;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new Error('unterminated single quote');
      word = (word ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '\\') {
      if (text[i + 1] === '\n') {
        i += 2;
        continue;
      }
      word = (word ?? '') + text[i + 1];
      i += 2;
    } else if (c === '\n') {
      endCommand();
      i += 1;
    } else if (c === ' ' || c === '\t') {
      endWord();
      i += 1;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      const firstWord = word === undefined && words.length === 0;
      if (firstWord && /^[A-Za-z_][A-Za-z0-9_]*=/.test(text.slice(i)))
        out.interpreted.push(`assignment ${text.slice(i, i + 20)}`);
      word = (word ?? '') + c;
      i += 1;
    } else {
      out.interpreted.push(
        `unquoted ${JSON.stringify(c)} in ${JSON.stringify(text.slice(Math.max(0, i - 10), i + 10))}`,
      );
      word = (word ?? '') + c;
      i += 1;
    }
  }
  endCommand();
  return out;
}
