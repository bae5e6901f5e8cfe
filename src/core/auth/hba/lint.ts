/**
 * Findings a DBA wants before reloading pg_hba.conf: rules no connection can reach (shadowed by an
 * earlier rule), trust over TCP, password/md5 (md5 is deprecated in PostgreSQL 18), addresses open to
 * the whole Internet, and oauth lines whose validator the server cannot choose.
 */
import { ipInRange, maskBits } from './address';
import { maskSecrets } from './options';
import { isKeyword } from './parseHba';
import type { AuthFileProblem, HbaAddress, HbaConnType, HbaRule, HbaToken, ParsedHba } from './types';

export type LintSeverity = 'error' | 'warning' | 'info';

export interface LintFinding {
  file: string;
  line: number;
  severity: LintSeverity;
  code:
    | 'parse-error'
    | 'parse-warning'
    | 'shadowed'
    | 'trust-over-tcp'
    | 'trust-local'
    | 'cleartext-password'
    | 'md5-deprecated'
    | 'wide-address'
    | 'oauth-validator'
    | 'ident-over-tcp';
  message: string;
}

export interface LintOptions {
  /** `oauth_validator_libraries` when known; unknown → a reminder on oauth lines without validator=. */
  oauthValidatorLibraries?: string[];
}

/** Connection types a rule of type `outer` matches, as a superset check on `inner`. */
function typeCovers(outer: HbaConnType, inner: HbaConnType): boolean {
  if (outer === inner) return true;
  return outer === 'host' && inner !== 'local';
}

const sameToken = (a: HbaToken, b: HbaToken): boolean => a.text === b.text && a.quoted === b.quoted;

/** Every database a later rule's token matches is matched by the earlier rule's list. */
function databasesCover(outer: HbaToken[], inner: HbaToken[]): boolean {
  return inner.every((t) => {
    if (outer.some((o) => sameToken(o, t))) return true;
    if (isKeyword(t, 'replication')) return false;
    // `all` covers every non-replication database token, but never a physical replication connection.
    return outer.some((o) => isKeyword(o, 'all'));
  });
}

function usersCover(outer: HbaToken[], inner: HbaToken[]): boolean {
  if (outer.some((o) => isKeyword(o, 'all'))) return true;
  return inner.every((t) => outer.some((o) => sameToken(o, t)));
}

function addressCovers(outer: HbaAddress | undefined, inner: HbaAddress | undefined): boolean {
  if (!outer || !inner) return !outer && !inner;
  if (outer.kind === 'all') return true;
  if (outer.kind === 'ip' && inner.kind === 'ip') {
    const outerBits = maskBits(outer.mask);
    const innerBits = maskBits(inner.mask);
    if (outerBits === undefined || innerBits === undefined || innerBits < outerBits) return false;
    return ipInRange({ family: inner.family, bytes: inner.bytes.map((b, i) => b & inner.mask[i]) }, outer);
  }
  if (outer.kind === 'hostname' && inner.kind === 'hostname')
    return outer.name.toLowerCase() === inner.name.toLowerCase();
  return outer.kind === inner.kind && (outer.kind === 'samehost' || outer.kind === 'samenet');
}

/** The earlier rule that catches every connection `rule` could match, if one does. */
export function shadowingRule(rules: HbaRule[], index: number): HbaRule | undefined {
  const rule = rules[index];
  return rules
    .slice(0, index)
    .find(
      (e) =>
        typeCovers(e.type, rule.type) &&
        addressCovers(e.address, rule.address) &&
        databasesCover(e.databases, rule.databases) &&
        usersCover(e.users, rule.users),
    );
}

function isWide(a: HbaAddress | undefined): boolean {
  if (!a) return false;
  if (a.kind === 'all') return true;
  return a.kind === 'ip' && maskBits(a.mask) === 0;
}

/** How a wide address reads in a finding: every address, or all of IPv4 or IPv6. */
function acceptedAddresses(rule: HbaRule): string {
  if (rule.address?.kind === 'all') return 'every address';
  return `all of ${rule.address?.kind === 'ip' && rule.address.family === 6 ? 'IPv6 (::/0)' : 'IPv4 (0.0.0.0/0)'}`;
}

const all = (tokens: HbaToken[]): boolean => tokens.some((t) => isKeyword(t, 'all'));

export function lintHba(parsed: ParsedHba, opts: LintOptions = {}): LintFinding[] {
  const out: LintFinding[] = parsed.problems.map((p: AuthFileProblem) => ({
    file: p.file,
    line: p.line,
    severity: p.severity,
    code: p.severity === 'error' ? 'parse-error' : 'parse-warning',
    message: p.hint ? `${p.message} (${p.hint})` : p.message,
  }));
  const { rules } = parsed;
  rules.forEach((rule, i) => {
    const at = { file: rule.source.file, line: rule.source.line };
    const shadow = shadowingRule(rules, i);
    if (shadow) {
      const where =
        shadow.source.file === rule.source.file
          ? `line ${shadow.source.line}`
          : `${shadow.source.file}:${shadow.source.line}`;
      out.push({
        ...at,
        severity: 'warning',
        code: 'shadowed',
        message:
          `This rule can never match: ${where} ("${maskSecrets(shadow.source.rawLine.trim())}") ` +
          `matches every connection it would, and the server uses the first match.`,
      });
    }
    const wide = isWide(rule.address);
    if (rule.method === 'trust' && rule.type !== 'local') {
      out.push({
        ...at,
        severity: wide ? 'error' : 'warning',
        code: 'trust-over-tcp',
        message:
          `trust over TCP lets anyone who can reach ` +
          `${wide ? 'the server from any address' : 'the server from these addresses'} log in ` +
          `without a password${all(rule.users) ? ' as any role' : ''}; use scram-sha-256 (or cert).`,
      });
    } else if (rule.method === 'trust' && all(rule.users) && all(rule.databases)) {
      out.push({
        ...at,
        severity: 'info',
        code: 'trust-local',
        message:
          'trust on the Unix socket lets every local OS user connect as any role, superusers included; prefer peer.',
      });
    }
    if (rule.method === 'password')
      out.push({
        ...at,
        severity: 'warning',
        code: 'cleartext-password',
        message: 'password sends the password in clear text (readable without SSL); use scram-sha-256.',
      });
    if (rule.method === 'md5')
      out.push({
        ...at,
        severity: 'warning',
        code: 'md5-deprecated',
        message:
          'md5 is deprecated in PostgreSQL 18 and will be removed; use scram-sha-256 (re-set passwords with password_encryption = scram-sha-256).',
      });
    if (wide && rule.method !== 'reject' && rule.method !== 'trust') {
      out.push({
        ...at,
        severity: 'info',
        code: 'wide-address',
        message:
          `This rule accepts ${acceptedAddresses(rule)}; narrow it to the networks your clients ` +
          `use${rule.type !== 'hostssl' ? ', and prefer hostssl' : ''}.`,
      });
    }
    if (rule.method === 'ident' && rule.type !== 'local')
      out.push({
        ...at,
        severity: 'info',
        code: 'ident-over-tcp',
        message:
          'ident over TCP trusts an ident server on the client machine; anyone controlling that machine can claim any user.',
      });
    if (rule.method === 'oauth' && rule.options.validator === undefined) {
      const libs = opts.oauthValidatorLibraries;
      if (libs === undefined)
        out.push({
          ...at,
          severity: 'warning',
          code: 'oauth-validator',
          message:
            'oauth line without validator=: the server refuses it when oauth_validator_libraries lists several libraries (or none).',
        });
      else if (libs.length !== 1)
        out.push({
          ...at,
          severity: 'error',
          code: 'oauth-validator',
          message:
            `oauth line without validator=, but oauth_validator_libraries lists ` +
            `${libs.length === 0 ? 'no library' : `${libs.length} libraries`}: the server refuses the file.`,
        });
    }
  });
  return out.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}
