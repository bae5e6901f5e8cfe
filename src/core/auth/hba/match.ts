/**
 * The server's choice of pg_hba.conf line for a connection attempt (hba.c check_hba): the first rule
 * whose connection type, client address, database and user all match; no fall-through after it.
 * Facts the server looks up itself — role membership, the client's host name (DNS), this machine's
 * interfaces — come in with the attempt; when one is needed and missing, the answer is "undetermined"
 * at that rule instead of a guess.
 */
import { hostnameMatches, ipInRange, parseIp } from './address';
import { isKeyword, isRegexToken } from './parseHba';
import { compileAuthRegex } from './regex';
import type { HbaRule, HbaToken, IdentRule } from './types';

export interface HbaAttempt {
  /** `local` = Unix-domain socket; `host` = TCP/IP. */
  connection: 'local' | 'host';
  /** The TCP connection is SSL-encrypted. */
  ssl?: boolean;
  /** The TCP connection is GSSAPI-encrypted. */
  gssenc?: boolean;
  database: string;
  user: string;
  /** Client IP address (required for `host`). */
  address?: string;
  /** `physical` = a physical replication (walsender) connection; `logical` = replication=database. */
  replication?: 'physical' | 'logical';
  /**
   * Roles the user is a member of, directly or indirectly (a superuser is not implicitly a member).
   * Undefined: not known, so `+group` and `samerole` cannot be decided.
   */
  memberOf?: string[];
  /** Whether the role exists; a missing role is a member of nothing (default true). */
  userExists?: boolean;
  /**
   * The client's host name after the server's reverse lookup and forward confirmation;
   * null when it has none; undefined when not looked up (then host-name lines are undetermined).
   */
  clientHostName?: string | null;
}

export interface MatchEnvironment {
  /** This server machine's interface addresses and netmasks, for samehost/samenet. */
  interfaces?: Array<{ address: string; netmask: string }>;
  /** Major version of the server (regex tokens are 16+; default 18). */
  major?: number;
}

export type HbaMatch =
  | { kind: 'matched'; rule: HbaRule; notes: string[] }
  | { kind: 'no-match'; notes: string[] }
  | { kind: 'undetermined'; rule: HbaRule; reason: string; notes: string[] };

class Unknown extends Error {}

function memberOf(attempt: HbaAttempt, role: string): boolean {
  if (attempt.userExists === false) return false;
  if (role === attempt.user) return true;
  if (!attempt.memberOf)
    throw new Unknown(`whether user "${attempt.user}" is a member of role "${role}" (pass the user's roles)`);
  return attempt.memberOf.includes(role);
}

function regexMatches(token: HbaToken, value: string): boolean {
  const { regex } = compileAuthRegex(token.text);
  return regex ? regex.test(value) : false;
}

/** check_db */
export function databaseMatches(tokens: HbaToken[], attempt: HbaAttempt, major: number): boolean {
  for (const tok of tokens) {
    if (attempt.replication === 'physical') {
      if (isKeyword(tok, 'replication')) return true;
      continue;
    }
    if (isKeyword(tok, 'all')) return true;
    if (isKeyword(tok, 'sameuser')) {
      if (attempt.database === attempt.user) return true;
    } else if (isKeyword(tok, 'samerole') || isKeyword(tok, 'samegroup')) {
      if (memberOf(attempt, attempt.database)) return true;
    } else if (isKeyword(tok, 'replication')) {
      continue;
    } else if (isRegexToken(tok, major)) {
      if (regexMatches(tok, attempt.database)) return true;
    } else if (tok.text === attempt.database) {
      return true;
    }
  }
  return false;
}

/** check_role */
export function roleMatches(
  tokens: HbaToken[],
  user: string,
  attempt: Pick<HbaAttempt, 'user' | 'memberOf' | 'userExists'>,
  major: number,
  caseInsensitive = false,
): boolean {
  for (const tok of tokens) {
    if (!tok.quoted && tok.text.startsWith('+')) {
      if (memberOf({ ...attempt, user, connection: 'local', database: '' }, tok.text.slice(1))) return true;
    } else if (isKeyword(tok, 'all')) {
      return true;
    } else if (isRegexToken(tok, major)) {
      if (regexMatches(tok, user)) return true;
    } else if (caseInsensitive ? tok.text.toLowerCase() === user.toLowerCase() : tok.text === user) {
      return true;
    }
  }
  return false;
}

function addressMatches(rule: HbaRule, attempt: HbaAttempt, env: MatchEnvironment): boolean {
  const a = rule.address;
  if (!a || a.kind === 'all') return true;
  const client = attempt.address ? parseIp(attempt.address) : undefined;
  if (!client) throw new Unknown(`the client address ("${attempt.address ?? ''}" is not an IP address)`);
  if (a.kind === 'ip') return ipInRange(client, a);
  if (a.kind === 'hostname') {
    if (attempt.clientHostName === undefined)
      throw new Unknown(
        `the client's host name (line uses "${a.name}"; the server does a reverse DNS lookup of ${attempt.address} and a forward check)`,
      );
    return attempt.clientHostName !== null && hostnameMatches(a.name, attempt.clientHostName);
  }
  if (!env.interfaces) throw new Unknown(`the server's network interfaces (line uses ${a.kind})`);
  return env.interfaces.some((ifc) => {
    const ip = parseIp(ifc.address);
    const mask = parseIp(ifc.netmask);
    if (!ip || !mask) return false;
    const fullMask = ip.bytes.map(() => 255);
    return ipInRange(client, {
      family: ip.family,
      bytes: ip.bytes,
      mask: a.kind === 'samehost' ? fullMask : mask.bytes,
    });
  });
}

function typeMatches(rule: HbaRule, attempt: HbaAttempt): boolean {
  if (rule.type === 'local') return attempt.connection === 'local';
  if (attempt.connection === 'local') return false;
  if (rule.type === 'hostssl' && !attempt.ssl) return false;
  if (rule.type === 'hostnossl' && attempt.ssl) return false;
  if (rule.type === 'hostgssenc' && !attempt.gssenc) return false;
  if (rule.type === 'hostnogssenc' && attempt.gssenc) return false;
  return true;
}

/** The rule the server picks for this attempt, in rule order. */
export function matchHbaRule(rules: HbaRule[], attempt: HbaAttempt, env: MatchEnvironment = {}): HbaMatch {
  const major = env.major ?? 18;
  const notes: string[] = [];
  if (attempt.connection === 'host' && !attempt.address)
    throw new Error('a host (TCP) attempt needs the client address');
  for (const rule of [...rules].sort((a, b) => a.ruleNumber - b.ruleNumber)) {
    if (!typeMatches(rule, attempt)) continue;
    // Every condition must hold; one the matcher cannot decide matters only when the others hold.
    const unknowns: string[] = [];
    const holds = (check: () => boolean): boolean => {
      try {
        return check();
      } catch (err) {
        if (!(err instanceof Unknown)) throw err;
        unknowns.push(err.message);
        return true;
      }
    };
    if (rule.type !== 'local' && !holds(() => addressMatches(rule, attempt, env))) continue;
    if (!holds(() => databaseMatches(rule.databases, attempt, major))) continue;
    if (!holds(() => roleMatches(rule.users, attempt.user, attempt, major))) continue;
    if (unknowns.length > 0) {
      return {
        kind: 'undetermined',
        rule,
        reason: `cannot decide line ${rule.source.line} of ${rule.source.file} without knowing ${unknowns.join(' and ')}`,
        notes,
      };
    }
    if (rule.method === 'peer' && rule.writtenMethod === 'ident')
      notes.push(`line ${rule.source.line} says "ident"; on a local socket the server uses peer`);
    return { kind: 'matched', rule, notes };
  }
  return { kind: 'no-match', notes };
}

/**
 * check_usermap: the pg_ident line that lets OS/external user `systemUser` log in as `pgUser` under map
 * `map`, or undefined when none does (the server then fails authentication).
 */
export function matchIdentMap(
  rules: IdentRule[],
  map: string,
  systemUser: string,
  pgUser: string,
  opts: { major?: number; memberOf?: string[]; caseInsensitive?: boolean } = {},
): IdentRule | undefined {
  const major = opts.major ?? 18;
  const who = { user: pgUser, memberOf: opts.memberOf ?? [] };
  for (const rule of rules) {
    if (rule.map !== map) continue;
    if (rule.systemUser.text.startsWith('/')) {
      const { regex } = compileAuthRegex(rule.systemUser.text);
      const m = regex?.exec(systemUser);
      if (!m) continue;
      let target = rule.pgUser;
      const special = major >= 16 && ((!target.quoted && target.text.startsWith('+')) || target.text.startsWith('/'));
      if (!special && target.text.includes('\\1')) {
        if (m[1] === undefined) continue;
        target = { text: target.text.replace('\\1', m[1]), quoted: true };
      }
      if (identTargetMatches(target, pgUser, who, major, opts.caseInsensitive)) return rule;
      continue;
    }
    const same = opts.caseInsensitive
      ? rule.systemUser.text.toLowerCase() === systemUser.toLowerCase()
      : rule.systemUser.text === systemUser;
    if (same && identTargetMatches(rule.pgUser, pgUser, who, major, opts.caseInsensitive)) return rule;
  }
  return undefined;
}

function identTargetMatches(
  target: HbaToken,
  pgUser: string,
  who: { user: string; memberOf?: string[] },
  major: number,
  ci?: boolean,
): boolean {
  if (major >= 16) return roleMatches([target], pgUser, who, major, ci);
  return ci ? target.text.toLowerCase() === pgUser.toLowerCase() : target.text === pgUser;
}
