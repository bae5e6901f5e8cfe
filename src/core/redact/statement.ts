/**
 * Secrets in statement texts (pg_stat_statements, pg_stat_activity, workload scripts) and in any
 * free text that may quote one (log lines, error messages). Statement by statement:
 * - role-password: the literal after PASSWORD in CREATE/ALTER ROLE|USER|GROUP (ENCRYPTED too; the
 *   role name stays);
 * - secret-option: the literal after any other secret-named word: `OPTIONS (password '…')` of a
 *   user mapping or server, `OPTIONS (SET sslpassword '…')`, `api_key = '…'`;
 * - setting-command / setting-secret: the value of `SET`, `ALTER SYSTEM SET`, `ALTER … SET` or
 *   `set_config()` of a `*_command` or secret-named setting;
 * - conninfo-password: the password of a connection string inside any literal (`ALTER SYSTEM SET
 *   primary_conninfo = '…'`, `CREATE SUBSCRIPTION … CONNECTION '…'`, dblink/postgres_fdw
 *   arguments) and then anywhere else in the text.
 * A literal is also read as SQL of its own (DO blocks, function bodies, dblink_exec), so the rules
 * reach statements nested in statements.
 */
import { redactConninfo } from './conninfo';
import { isSecretName, settingRule } from './names';
import type { RedactionRule } from './rules';
import { marker } from './rules';
import type { Token } from './sqlLex';
import { lexSql } from './sqlLex';

/** Every rule needs a secret-meaning word (names.ts), a command or a URI: other texts are left at once. */
const mayHoldSecret = /pass|secret|token|cred|key|salt|command|:\/\//i;

interface Edit {
  start: number;
  end: number;
  text: string;
}

const isName = (t: Token | undefined) => t !== undefined && (t.kind === 'word' || t.kind === 'ident');
const isOp = (t: Token | undefined, op: string) => t?.kind === 'op' && t.value === op;
const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.value === w;

/** The index of the last literal of a literal that continues on the next lines ('a'\n'b' is 'ab'). */
function literalEnd(tokens: Token[], j: number): number {
  let k = j;
  while (tokens[k + 1]?.kind === 'string' && tokens[k + 1].afterNewline) k++;
  return k;
}

/** CREATE/ALTER ROLE|USER|GROUP, but not CREATE/ALTER USER MAPPING. */
function isRoleStatement(st: Token[]): boolean {
  return (
    (isWord(st[0], 'create') || isWord(st[0], 'alter')) &&
    ['role', 'user', 'group'].some((w) => isWord(st[1], w)) &&
    !isWord(st[2], 'mapping')
  );
}

/** `name [= ] 'literal'` with a secret-named name: the literal is the secret. A bare `key = '…'` is a lookup, not a secret. */
function secretLiterals(st: Token[], edits: Edit[]): void {
  const role = isRoleStatement(st);
  for (let i = 0; i < st.length - 1; i++) {
    const t = st[i];
    const eq = isOp(st[i + 1], '=');
    const j = eq ? i + 2 : i + 1;
    if (
      !isName(t) ||
      st[j]?.kind !== 'string' ||
      (eq && (t.value === 'key' || t.value === 'keys')) ||
      !isSecretName(t.value)
    )
      continue;
    const rule: RedactionRule = role && t.kind === 'word' && t.value === 'password' ? 'role-password' : 'secret-option';
    edits.push({ start: st[j].start, end: st[literalEnd(st, j)].end, text: marker(rule) });
  }
}

/** A dotted setting name at `i` (`myext.api_token`, `"my ext".x`): the name and the index after it. */
function dottedName(st: Token[], i: number): { name: string; next: number } | undefined {
  if (!isName(st[i])) return undefined;
  let name = st[i].value;
  let k = i + 1;
  while (isOp(st[k], '.') && isName(st[k + 1])) {
    name += `.${st[k + 1].value}`;
    k += 2;
  }
  return { name, next: k };
}

/** A value list at `i`: `'a', b, -1`; returns the index after it (or `i` when there is none). */
function valueListEnd(st: Token[], i: number): number {
  let k = i;
  for (;;) {
    if (isOp(st[k], '-') && st[k + 1]?.kind === 'number') k++;
    if (!['string', 'number', 'word', 'ident'].includes(st[k]?.kind ?? '')) return k;
    k = st[k].kind === 'string' ? literalEnd(st, k) + 1 : k + 1;
    // a bare value runs on while nothing separates it (`abc-def` of a statement that failed to parse is one value)
    while (st[k] && st[k].start === st[k - 1].end && !isOp(st[k], ',') && !isOp(st[k], ')')) k++;
    // `, next =` starts another assignment (UPDATE … SET a = 1, b = 2), not another value
    if (!isOp(st[k], ',') || isOp(st[k + 2], '=') || isOp(st[k + 2], '.')) return k;
    k++;
  }
}

/** SET [LOCAL|SESSION] name {=|TO} values, in SET, ALTER SYSTEM/DATABASE/ROLE/FUNCTION … SET and UPDATE … SET. */
function settingAssignments(st: Token[], edits: Edit[]): void {
  for (let i = 0; i < st.length; i++) {
    if (!isWord(st[i], 'set')) continue;
    let k = i + 1;
    if ((isWord(st[k], 'local') || isWord(st[k], 'session')) && isName(st[k + 1]) && !isOp(st[k + 1], '=')) k++;
    for (;;) {
      const name = dottedName(st, k);
      if (!name || !(isOp(st[name.next], '=') || isWord(st[name.next], 'to'))) break;
      const from = name.next + 1;
      const to = valueListEnd(st, from);
      const rule = settingRule(name.name);
      if (rule && to > from && !isWord(st[from], 'default'))
        edits.push({ start: st[from].start, end: st[to - 1].end, text: marker(rule) });
      if (!isOp(st[to], ',')) break;
      k = to + 1;
    }
  }
}

/** set_config('name', 'value', is_local) */
function setConfigCalls(st: Token[], edits: Edit[]): void {
  for (let i = 0; i + 4 < st.length; i++) {
    if (
      !isWord(st[i], 'set_config') ||
      !isOp(st[i + 1], '(') ||
      st[i + 2].kind !== 'string' ||
      !isOp(st[i + 3], ',') ||
      st[i + 4].kind !== 'string'
    )
      continue;
    const rule = settingRule(st[i + 2].value);
    if (rule) edits.push({ start: st[i + 4].start, end: st[literalEnd(st, i + 4)].end, text: marker(rule) });
  }
}

/**
 * A literal or comment written again around a new value: a comment in its own delimiters, a literal in
 * its own dollar quotes when they still fit, else in single quotes.
 */
function rewritten(t: Token, original: string, value: string): string {
  if (t.kind === 'comment')
    return original.startsWith('--')
      ? `--${value}`
      : `/*${value}${original.endsWith('*/') && original.length >= 4 ? '*/' : ''}`;
  const tag = original.startsWith('$') ? original.slice(0, original.indexOf('$', 1) + 1) : undefined;
  return tag && !value.includes(tag) ? `${tag}${value}${tag}` : `'${value.replace(/'/g, "''")}'`;
}

/**
 * Literals not already hidden, and comments, are redacted as texts of their own: a connection string
 * (`CONNECTION '…'`), SQL inside SQL (a DO block, a function body, `dblink_exec('…', 'ALTER ROLE …')`),
 * a commented-out statement; down to `maxDepth` levels. One that changes is written again.
 */
const maxDepth = 3;
function innerLiterals(text: string, tokens: Token[], edits: Edit[], depth: number): void {
  const hidden = (t: Token) => edits.some((e) => t.start >= e.start && t.end <= e.end);
  for (const t of tokens) {
    if ((t.kind !== 'string' && t.kind !== 'comment') || hidden(t)) continue;
    // a connection string first, so its password is named as one rather than as `password = '…'` SQL
    const conninfo = redactConninfo(t.value);
    const value = depth < maxDepth ? redactAt(conninfo, depth + 1) : conninfo;
    if (value !== t.value)
      edits.push({ start: t.start, end: t.end, text: rewritten(t, text.slice(t.start, t.end), value) });
  }
}

/** The tokens of each statement, comments left out. */
function statements(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'comment') continue;
    if (isOp(t, ';')) out.push([]);
    else out[out.length - 1].push(t);
  }
  return out;
}

/**
 * Every secret in a statement text (or several, or a free text) replaced by its marker. A text
 * that is not well-formed SQL can read differently once a marker stands in it, so the rules run
 * again until nothing changes: the result is clean and redacting it again changes nothing.
 */
export function redactText(text: string): string {
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    const next = redactAt(out, 1);
    if (next === out) break;
    out = next;
  }
  return out;
}

function redactAt(text: string, depth: number): string {
  if (!mayHoldSecret.test(text)) return text;
  const tokens = lexSql(text);
  const edits: Edit[] = [];
  for (const st of statements(tokens)) {
    settingAssignments(st, edits);
    setConfigCalls(st, edits);
    secretLiterals(st, edits);
  }
  innerLiterals(text, tokens, edits, depth);
  let out = text;
  // the first edit of a span wins; the others inside it are dropped
  const kept = edits
    .sort((a, b) => a.start - b.start || b.end - a.end)
    .filter((e, i, all) => !all.slice(0, i).some((p) => e.start < p.end));
  for (const e of kept.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return redactConninfo(out);
}
