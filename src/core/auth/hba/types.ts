/**
 * The shapes of pg_hba.conf / pg_ident.conf as PostgreSQL 13–18 read them (src/backend/libpq/hba.c).
 * Line numbers are physical line numbers, counted the way the server counts them: a record continued
 * with a trailing backslash is numbered by its first line.
 */

export type HbaConnType = 'local' | 'host' | 'hostssl' | 'hostnossl' | 'hostgssenc' | 'hostnogssenc';

export const hbaMethods = [
  'trust',
  'reject',
  'scram-sha-256',
  'md5',
  'password',
  'gss',
  'sspi',
  'ident',
  'peer',
  'ldap',
  'radius',
  'cert',
  'pam',
  'bsd',
  'oauth',
] as const;
export type HbaMethod = (typeof hbaMethods)[number];

/** One word of a field. `quoted` makes a keyword (`"all"`) a plain name, as in the server. */
export interface HbaToken {
  text: string;
  quoted: boolean;
}

/** Where a record or an error comes from. */
export interface HbaSource {
  file: string;
  line: number;
  /** The record's text after joining continuation lines. */
  rawLine: string;
}

export type HbaAddress =
  | { kind: 'all' }
  | { kind: 'samehost' }
  | { kind: 'samenet' }
  /** A numeric address with its mask, from CIDR (`10.0.0.0/8`) or a separate mask column. */
  | { kind: 'ip'; text: string; family: 4 | 6; bytes: number[]; mask: number[] }
  /** A host name; a leading dot means "any name ending in this suffix". */
  | { kind: 'hostname'; name: string };

export interface HbaRule {
  source: HbaSource;
  /** Position in the order the server considers rules (1-based), as `pg_hba_file_rules.rule_number`. */
  ruleNumber: number;
  type: HbaConnType;
  databases: HbaToken[];
  users: HbaToken[];
  /** Absent on `local` records. */
  address?: HbaAddress;
  /** The method the server uses: `ident` on a `local` line becomes `peer`, as in the server. */
  method: HbaMethod;
  /** The method as written in the file. */
  writtenMethod: string;
  /** `name=value` options in file order (a repeated option: the last value wins, as in the server). */
  options: Record<string, string>;
}

export type ProblemSeverity = 'error' | 'warning';

/** A line the server cannot load (`error`: the whole file is refused) or loads with a warning. */
export interface AuthFileProblem {
  file: string;
  line: number;
  severity: ProblemSeverity;
  message: string;
  hint?: string;
}

export interface IdentRule {
  source: HbaSource;
  map: string;
  systemUser: HbaToken;
  pgUser: HbaToken;
}

/** What the parser needs to know about the server that will read the file. */
export interface ServerTraits {
  /** Major version 13–18 (default 18): decides continuation lines, regexes, include directives, oauth. */
  major: number;
  /** `ssl` setting, when known: hostssl lines cannot match without it (a warning, as in the server). */
  ssl?: boolean;
  /** `oauth_validator_libraries`, when known (PG18). */
  oauthValidatorLibraries?: string[];
  /** Which optional methods the server binary was built with (default: a typical Linux build). */
  build?: Partial<Record<'ssl' | 'gss' | 'sspi' | 'pam' | 'bsd' | 'ldap', boolean>>;
}

export const defaultBuild: Record<'ssl' | 'gss' | 'sspi' | 'pam' | 'bsd' | 'ldap', boolean> = {
  ssl: true,
  gss: true,
  sspi: false,
  pam: true,
  bsd: false,
  ldap: true,
};

export interface ParsedHba {
  rules: HbaRule[];
  problems: AuthFileProblem[];
  /** Every file read, the top file first (includes and @files follow). */
  files: string[];
}

export interface ParsedIdent {
  rules: IdentRule[];
  problems: AuthFileProblem[];
  files: string[];
}

/** True when the server would refuse to load the file (it keeps the old rules on reload, or fails to start). */
export function hasErrors(parsed: { problems: AuthFileProblem[] }): boolean {
  return parsed.problems.some((p) => p.severity === 'error');
}
