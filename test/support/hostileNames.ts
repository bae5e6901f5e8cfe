/**
 * Identifiers chosen to break generated SQL, psql and shell text: line breaks that end a comment,
 * quotes, backslashes (psql meta-commands), psql variables, dollar quotes, shell expansions, names
 * that look like options, and Unicode (right-to-left overrides, combining marks, invisible and
 * line-separator characters, astral characters). All fit PostgreSQL's 63-byte identifier limit
 * and hold no NUL (PostgreSQL names cannot), so each can be a real table or index name.
 */
export const hostileNames: readonly string[] = [
  'x\nDROP TABLE sentinel;--',
  'x\rDROP TABLE sentinel;--',
  'x\r\nDROP TABLE sentinel; --',
  'x"; DROP TABLE sentinel; --',
  "x'; DROP TABLE sentinel; --",
  "x\\'; DROP TABLE sentinel; --",
  'x */ DROP TABLE sentinel; /*',
  '-- DROP TABLE sentinel',
  '*/',
  '/*',
  '--',
  ';',
  'x\n\\! touch pwned-psql\n',
  '\\! touch pwned-psql',
  '\\',
  'a\\b',
  'x\\"',
  ':v',
  ":'v'",
  ':"v"',
  ':{?v}',
  'x\n:v',
  '$$',
  '$$; DROP TABLE sentinel; $$',
  '$tag$x$tag$',
  '$1',
  '$(touch pwned-sh)',
  '`touch pwned-sh`',
  "'; touch pwned-sh; '",
  '${IFS}',
  '"$HOME"',
  '--table=x',
  '-k',
  'A=b',
  '=',
  '#',
  '~',
  '!',
  '*',
  '?',
  '\u202Eevil\u202C',
  '\u05D0\u05D1\u200F',
  'e\u0301\u0302\u0303',
  '\u{1F600}',
  '\u200B',
  'x\u2028y',
  'x\u2029y',
  'x\u0085y',
  '\u00E4',
  ' ',
  '  leading',
  'trailing ',
  '\t',
  'x\fy',
  'x\vy',
  'x'.repeat(63),
  '\u00E4'.repeat(31),
];

/** Small deterministic PRNG (mulberry32), so a failing generated name is the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pieces = [
  'a',
  'Z',
  '0',
  '_',
  ' ',
  '\n',
  '\r',
  '\t',
  '"',
  "'",
  '\\',
  '$',
  '$$',
  '$q$',
  ';',
  '--',
  '/*',
  '*/',
  ':',
  ':v',
  "'v'",
  '!',
  '\\!',
  '`',
  '(',
  ')',
  '{',
  '}',
  '#',
  '=',
  '-',
  '--x=',
  '&',
  '|',
  '<',
  '>',
  '*',
  '?',
  '~',
  'DROP TABLE sentinel',
  '\u202E',
  '\u200F',
  '\u0301',
  '\u{1F600}',
  '\u00E4',
  '\u4E2D',
  '\u2028',
  '\u0085',
  '\u200B',
  '\uFEFF',
];

/** `count` random names of 1 to 20 pieces from a fixed seed, each at most `maxBytes` bytes of UTF-8. */
export function generatedNames(count: number, seed = 20240610, maxBytes = 63): string[] {
  const next = mulberry32(seed);
  const names: string[] = [];
  while (names.length < count) {
    let name = '';
    const n = 1 + Math.floor(next() * 20);
    for (let i = 0; i < n; i++) name += pieces[Math.floor(next() * pieces.length)];
    if (Buffer.byteLength(name) <= maxBytes && !names.includes(name)) names.push(name);
  }
  return names;
}
