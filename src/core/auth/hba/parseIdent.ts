/**
 * pg_ident.conf: `map system-user pg-user` records (parse_ident_line), with `/regex` system users and
 * `\1` substitution; from PG16 the pg-user may also be `all`, `+group` or `/regex`.
 */
import { compileAuthRegex } from './regex';
import type { AuthFileReader } from './tokenize';
import { tokenizeAuthFile } from './tokenize';
import type { AuthFileProblem, IdentRule, ParsedIdent, ServerTraits } from './types';

export function parseIdentFile(
  file: string,
  opts: { traits?: Partial<ServerTraits>; reader?: AuthFileReader; text?: string } = {},
): ParsedIdent {
  const major = opts.traits?.major ?? 18;
  const tokenized = tokenizeAuthFile(file, { major, reader: opts.reader, text: opts.text });
  const problems: AuthFileProblem[] = [...tokenized.warnings];
  const rules: IdentRule[] = [];
  for (const tl of tokenized.lines) {
    const fail = (message: string, hint?: string): void => {
      problems.push({ file: tl.file, line: tl.line, severity: 'error', message, hint });
    };
    if (tl.error) {
      fail(tl.error);
      continue;
    }
    if (tl.fields.slice(0, 3).some((f) => f.length > 1)) {
      fail('multiple values in ident field', 'Write one map, one system user and one database user per line.');
      continue;
    }
    if (tl.fields.length < 3) {
      fail('missing entry at end of line', 'A pg_ident.conf line is: MAPNAME SYSTEM-USERNAME PG-USERNAME.');
      continue;
    }
    const [map, systemUser, pgUser] = tl.fields.map((f) => f[0]);
    const regexes = [systemUser, ...(major >= 16 ? [pgUser] : [])].filter((t) => t.text.startsWith('/'));
    const error = regexes.map((t) => compileAuthRegex(t.text).error).find(Boolean);
    if (error) {
      fail(error);
      continue;
    }
    rules.push({ source: { file: tl.file, line: tl.line, rawLine: tl.rawLine }, map: map.text, systemUser, pgUser });
  }
  return { rules, problems, files: tokenized.files };
}
