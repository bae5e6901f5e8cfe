/**
 * The one POSIX shell quoting helper, for command lines that go through a shell we do not control:
 * the ones people read and paste (reports, generated pg_repack lines) and the remote shell that
 * ssh's exec always runs. Our own processes are spawned with argument arrays and never need it.
 */

/** Characters a POSIX shell takes literally in an unquoted word. */
const plainWord = /^[A-Za-z0-9_@%+=:,./-]+$/;
/** An unquoted `NAME=value` as a command's first word is an assignment, not a program. */
const assignment = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * One word as the shell must read it: plain words stay as they are; anything else goes in single
 * quotes, inside which nothing is special (newlines, $, `, \ and Unicode included), with each ' as '\''.
 */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot hold a NUL byte');
  return plainWord.test(word) && !assignment.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A whole command line: each word quoted on its own, so the shell passes exactly these words. */
export function shellCommandLine(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
