/**
 * `pgops hba check` in core: parse the files, gather the facts the server would look up (DNS, interfaces),
 * match, and describe the answer — including the pg_ident line for a `map=` rule.
 */
import * as os from 'node:os';
import { PgOpsError } from '../../errors';
import { explainMatch } from './explain';
import { machineInterfaces, resolveClientHostName } from './hostFacts';
import type { HbaAttempt } from './match';
import { matchHbaRule, matchIdentMap } from './match';
import { displayOptions, maskSecrets } from './options';
import { parseHbaFile } from './parseHba';
import { parseIdentFile } from './parseIdent';
import type { ServerHbaRules } from './serverRules';
import { fileRuleSource } from './serverRules';
import type { AuthFileProblem, HbaRule, IdentRule } from './types';

export interface HbaCheckResult {
  /** Says where the rules came from: a local file, or the server's pg_hba_file_rules view. */
  source: string;
  /** The local file checked; null when the rules came from the server. */
  file: string | null;
  /** Physical line number of the matching record in its file, as the server counts; null when none. */
  line: number | null;
  /** The file holding that line (differs from `file` for included files). */
  ruleFile: string | null;
  method: string | null;
  /** The rule's options, secrets masked. */
  options: Record<string, string>;
  rawLine: string | null;
  outcome: 'matched' | 'no-match' | 'undetermined';
  summary: string;
  nextStep: string;
  notes: string[];
  ident?: { map: string; systemUser: string; line: number | null; file: string | null };
}

export interface HbaCheckInput {
  /** A local pg_hba.conf … */
  file?: string;
  /** … or the rules the server itself reports (readServerHbaRules); its version wins over `major`. */
  server?: ServerHbaRules;
  identFile?: string;
  major: number;
  attempt: HbaAttempt;
  /** The OS / external user name for a `map=` lookup (peer: the client's OS user). */
  systemUser?: string;
}

function firstError(problems: AuthFileProblem[]): AuthFileProblem | undefined {
  return problems.find((p) => p.severity === 'error');
}

function refuse(kind: string, problems: AuthFileProblem[]): never {
  const err = firstError(problems) as AuthFileProblem;
  const more = problems.filter((p) => p.severity === 'error').length - 1;
  throw new PgOpsError(
    'hba-parse',
    `${err.file}:${err.line}: ${err.message}${more > 0 ? ` (and ${more} more error${more > 1 ? 's' : ''})` : ''}`,
    `${err.hint ? `${err.hint} ` : ''}The server refuses a ${kind} with errors (it keeps its previous rules on reload); fix the line, then check again.`,
  );
}

export async function checkHbaAttempt(input: HbaCheckInput): Promise<HbaCheckResult> {
  let rules: HbaRule[];
  let source: string;
  let serverIdent: IdentRule[] | undefined;
  let major = input.major;
  if (input.server) {
    if (firstError(input.server.problems)) refuse('pg_hba.conf', input.server.problems);
    ({ rules } = input.server);
    source = input.server.source.description;
    major = input.server.source.major;
    serverIdent = 'rules' in input.server.ident ? input.server.ident.rules : undefined;
  } else {
    if (!input.file)
      throw new PgOpsError(
        'hba-no-rules',
        'No pg_hba.conf to check',
        'Give a file, or a connection whose role may read pg_hba_file_rules.',
      );
    const parsed = parseHbaFile(input.file, { traits: { major } });
    if (firstError(parsed.problems)) refuse('pg_hba.conf', parsed.problems);
    ({ rules } = parsed);
    source = fileRuleSource(input.file, major).description;
  }
  const attempt: HbaAttempt = { ...input.attempt };
  const notes: string[] = [];
  if (
    attempt.connection === 'host' &&
    attempt.clientHostName === undefined &&
    rules.some((r) => r.address?.kind === 'hostname')
  ) {
    attempt.clientHostName = await resolveClientHostName(attempt.address ?? '');
    notes.push(
      `host-name lines were checked with this machine's resolver: ${attempt.address} is ` +
        `${attempt.clientHostName === null ? 'not resolvable to a name that maps back' : `"${attempt.clientHostName}"`} ` +
        `(the server resolves with its own DNS)`,
    );
  }
  const usesNet = rules.some((r) => r.address?.kind === 'samehost' || r.address?.kind === 'samenet');
  if (usesNet)
    notes.push(
      "samehost/samenet were checked against this machine's interfaces; run on the server host for the server's answer",
    );
  const match = matchHbaRule(rules, attempt, { major, interfaces: usesNet ? machineInterfaces() : undefined });
  const explained = explainMatch(match, attempt);
  const rule = match.kind === 'matched' ? match.rule : undefined;
  const result: HbaCheckResult = {
    source,
    file: input.server ? null : (input.file ?? null),
    line: rule?.source.line ?? null,
    ruleFile: rule?.source.file ?? null,
    method: rule?.method ?? null,
    options: rule ? displayOptions(rule.options) : {},
    rawLine: rule ? maskSecrets(rule.source.rawLine.trim()) : null,
    outcome: match.kind,
    summary: explained.summary,
    nextStep: explained.nextStep,
    notes: [...notes, ...match.notes],
  };
  if (rule?.options.map !== undefined && (input.identFile || serverIdent)) {
    let identRules = serverIdent ?? [];
    if (input.identFile) {
      const ident = parseIdentFile(input.identFile, { traits: { major } });
      if (firstError(ident.problems)) refuse('pg_ident.conf', ident.problems);
      identRules = ident.rules;
    }
    const systemUser = input.systemUser ?? (rule.method === 'peer' ? os.userInfo().username : attempt.user);
    const found = matchIdentMap(identRules, rule.options.map, systemUser, attempt.user, {
      major,
      memberOf: attempt.memberOf,
    });
    result.ident = {
      map: rule.options.map,
      systemUser,
      line: found?.source.line ?? null,
      file: found?.source.file ?? null,
    };
  }
  return result;
}
