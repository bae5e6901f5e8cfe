/**
 * The `/regex` tokens of pg_hba.conf (database, user; PG16+) and pg_ident.conf (system user), which the
 * server compiles as POSIX "advanced" regular expressions and applies unanchored. JavaScript's RegExp
 * agrees on the common subset; the ARE-only escapes and bracket classes are translated here. A pattern
 * using ARE features beyond these (back-references to named classes, collating elements) may be refused
 * with an error naming the line, rather than matched differently.
 */

const posixClasses: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  word: 'A-Za-z0-9_',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

const escapes: Record<string, string> = { m: '\\b(?=\\w)', M: '\\b(?<=\\w)', y: '\\b', Y: '\\B', A: '^', Z: '$' };

/** Translates an ARE to a JavaScript pattern and flags. Throws SyntaxError on a pattern neither accepts. */
export function areToJs(pattern: string): RegExp {
  let flags = '';
  let src = pattern;
  const embedded = /^\(\?([bceimnpqstwx]+)\)/.exec(src);
  if (embedded) {
    if (embedded[1].includes('i')) flags += 'i';
    src = src.slice(embedded[0].length);
  }
  let out = '';
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      const next = src[i + 1];
      out += escapes[next] ?? `\\${next}`;
      i += 1;
    } else if (c === '[') {
      const close = findBracketEnd(src, i);
      out += src.slice(i, close + 1).replace(/\[:([a-z]+):\]/g, (m, name: string) => {
        const cls = posixClasses[name];
        if (!cls) throw new SyntaxError(`invalid character class "${m}"`);
        return cls;
      });
      i = close;
    } else {
      out += c;
    }
  }
  return new RegExp(out, flags);
}

function findBracketEnd(src: string, start: number): number {
  let i = start + 1;
  if (src[i] === '^') i += 1;
  if (src[i] === ']') i += 1;
  for (; i < src.length; i += 1) {
    if (src[i] === '[' && src[i + 1] === ':') {
      const end = src.indexOf(':]', i + 2);
      if (end > 0) i = end + 1;
    } else if (src[i] === ']') {
      return i;
    }
  }
  throw new SyntaxError('brackets [] not balanced');
}

/** Compiles a token's pattern (the text after the leading slash), naming the problem as the server does. */
export function compileAuthRegex(patternWithSlash: string): { regex?: RegExp; error?: string } {
  try {
    return { regex: areToJs(patternWithSlash.slice(1)) };
  } catch (err) {
    return { error: `invalid regular expression "${patternWithSlash.slice(1)}": ${(err as Error).message}` };
  }
}
