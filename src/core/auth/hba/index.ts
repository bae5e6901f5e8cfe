/** pg_hba.conf / pg_ident.conf: parse, match, explain, lint, and read the server's own view of them. */
export * from './types';
export type { AuthFileReader } from './tokenize';
export { fsReader, overlayReader } from './tokenize';
export { parseHbaFile } from './parseHba';
export { parseIdentFile } from './parseIdent';
export type { HbaAttempt, HbaMatch, MatchEnvironment } from './match';
export { matchHbaRule, matchIdentMap } from './match';
export type { AuthFailureExplanation } from './explain';
export { attemptFromServerMessage, explainAuthFailure, explainMatch, isAuthFailure } from './explain';
export { displayOptions, maskSecrets, secretOptions } from './options';
export type { RuleSource, ServerHbaRules } from './serverRules';
export { fileRuleSource, readServerHbaRules } from './serverRules';
export type { LintFinding, LintOptions, LintSeverity } from './lint';
export { lintHba, shadowingRule } from './lint';
export { machineInterfaces, resolveClientHostName } from './hostFacts';
export type { HbaCheckInput, HbaCheckResult } from './checkAttempt';
export { checkHbaAttempt } from './checkAttempt';
