/**
 * pg_hba.conf records → rules, as hba.c's parse_hba_line reads them for the given server version.
 * Errors carry file and line and the server's wording; a file with any error is one the server refuses.
 */
import { cidrMask, parseIp } from './address';
import { checkMethodOptions, checkOption } from './options';
import { compileAuthRegex } from './regex';
import type { AuthFileReader, TokenizedLine } from './tokenize';
import { tokenizeAuthFile } from './tokenize';
import type {
  AuthFileProblem,
  HbaAddress,
  HbaConnType,
  HbaMethod,
  HbaRule,
  HbaToken,
  ParsedHba,
  ServerTraits,
} from './types';
import { defaultBuild, hbaMethods } from './types';

const connTypes: HbaConnType[] = ['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc'];

/** Methods that exist only in builds with a library, keyed by the build flag. */
const methodNeeds: Partial<Record<HbaMethod, 'gss' | 'sspi' | 'pam' | 'bsd' | 'ldap' | 'ssl'>> = {
  gss: 'gss',
  sspi: 'sspi',
  pam: 'pam',
  bsd: 'bsd',
  ldap: 'ldap',
  cert: 'ssl',
};

class LineError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface ParseOptions {
  traits?: Partial<ServerTraits>;
  reader?: AuthFileReader;
  /** The top file's content, when it is not to be read from disk (an editor buffer). */
  text?: string;
}

export function isKeyword(t: HbaToken, word: string): boolean {
  return !t.quoted && t.text === word;
}

/** True when the token is a `/regex` on this server version (the server compiles it even when quoted). */
export function isRegexToken(t: HbaToken, major: number): boolean {
  return major >= 16 && t.text.startsWith('/');
}

function compileTokens(tokens: HbaToken[], major: number): HbaToken[] {
  for (const t of tokens) {
    if (!isRegexToken(t, major)) continue;
    const { error } = compileAuthRegex(t.text);
    if (error) throw new LineError(error, 'PostgreSQL reads a name starting with "/" as a regular expression (16+).');
  }
  return tokens;
}

function parseAddress(fields: HbaToken[][], at: number): { address: HbaAddress; next: number } {
  const tokens = fields[at];
  if (!tokens) throw new LineError('end-of-line before IP address specification');
  if (tokens.length > 1)
    throw new LineError('multiple values specified for host address', 'Specify one address range per line.');
  const token = tokens[0];
  for (const word of ['all', 'samehost', 'samenet'] as const) {
    if (isKeyword(token, word)) return { address: { kind: word }, next: at + 1 };
  }
  const slash = token.text.indexOf('/');
  const host = slash >= 0 ? token.text.slice(0, slash) : token.text;
  const ip = parseIp(host);
  if (!ip) {
    if (slash >= 0) throw new LineError(`specifying both host name and CIDR mask is invalid: "${token.text}"`);
    return { address: { kind: 'hostname', name: host }, next: at + 1 };
  }
  if (slash >= 0) {
    const mask = cidrMask(token.text.slice(slash + 1), ip.family);
    if (!mask) throw new LineError(`invalid CIDR mask in address "${token.text}"`);
    return { address: { kind: 'ip', text: token.text, family: ip.family, bytes: ip.bytes, mask }, next: at + 1 };
  }
  const maskTokens = fields[at + 1];
  if (!maskTokens) {
    throw new LineError(
      'end-of-line before netmask specification',
      'Specify an address range in CIDR notation, or provide a separate netmask.',
    );
  }
  if (maskTokens.length > 1) throw new LineError('multiple values specified for netmask');
  const mask = parseIp(maskTokens[0].text);
  if (!mask) throw new LineError(`invalid IP mask "${maskTokens[0].text}": Name or service not known`);
  if (mask.family !== ip.family) throw new LineError('IP address and mask do not match');
  return {
    address: {
      kind: 'ip',
      text: `${token.text} ${maskTokens[0].text}`,
      family: ip.family,
      bytes: ip.bytes,
      mask: mask.bytes,
    },
    next: at + 2,
  };
}

function parseMethod(token: HbaToken, traits: ServerTraits): HbaMethod {
  const name = token.text;
  const known = (hbaMethods as readonly string[]).includes(name) && !(name === 'oauth' && traits.major < 18);
  if (!known) {
    throw new LineError(
      `invalid authentication method "${name}"`,
      `Use one of: ${hbaMethods.filter((m) => m !== 'oauth' || traits.major >= 18).join(', ')}.`,
    );
  }
  const method = name as HbaMethod;
  const need = methodNeeds[method];
  if (need && !{ ...defaultBuild, ...traits.build }[need]) {
    throw new LineError(`invalid authentication method "${name}": not supported by this build`);
  }
  return method;
}

/** One tokenized record → a rule, or a LineError with the server's message. */
function parseRecord(
  tl: TokenizedLine,
  traits: ServerTraits,
  warn: (message: string, hint?: string) => void,
): Omit<HbaRule, 'ruleNumber'> {
  const { fields } = tl;
  if (fields[0].length > 1)
    throw new LineError(
      'multiple values specified for connection type',
      'Specify exactly one connection type per line.',
    );
  const typeText = fields[0][0].text;
  const type = connTypes.find((t) => t === typeText);
  if (!type)
    throw new LineError(
      `invalid connection type "${typeText}"`,
      `Use one of: ${connTypes.join(', ')}${traits.major >= 16 ? ', or include, include_if_exists, include_dir' : ''}.`,
    );
  if (type === 'hostssl' && traits.ssl === false)
    warn('hostssl record cannot match because SSL is disabled', 'Set "ssl = on" in postgresql.conf.');
  if (type === 'hostssl' && !{ ...defaultBuild, ...traits.build }.ssl)
    warn('hostssl record cannot match because SSL is not supported by this build');
  if (type === 'hostgssenc' && !{ ...defaultBuild, ...traits.build }.gss)
    warn('hostgssenc record cannot match because GSSAPI is not supported by this build');
  if (!fields[1]) throw new LineError('end-of-line before database specification');
  const databases = compileTokens(fields[1], traits.major);
  if (!fields[2]) throw new LineError('end-of-line before role specification');
  const users = compileTokens(fields[2], traits.major);
  let at = 3;
  let address: HbaAddress | undefined;
  if (type !== 'local') {
    const parsed = parseAddress(fields, at);
    address = parsed.address;
    at = parsed.next;
  }
  const methodTokens = fields[at];
  if (!methodTokens) throw new LineError('end-of-line before authentication method');
  if (methodTokens.length > 1)
    throw new LineError(
      'multiple values specified for authentication type',
      'Specify exactly one authentication type per line.',
    );
  const writtenMethod = methodTokens[0].text;
  let method = parseMethod(methodTokens[0], traits);
  if (type === 'local' && method === 'ident') method = 'peer';
  if (type === 'local' && method === 'gss')
    throw new LineError('gssapi authentication is not supported on local sockets');
  if (type !== 'local' && method === 'peer')
    throw new LineError(
      'peer authentication is only supported on local sockets',
      'Use a "local" line for peer, or ident/scram-sha-256 over TCP.',
    );
  if (type !== 'hostssl' && method === 'cert')
    throw new LineError('cert authentication is only supported on hostssl connections');
  const options: Record<string, string> = {};
  for (const field of fields.slice(at + 1)) {
    for (const token of field) {
      const eq = token.text.indexOf('=');
      if (eq < 0)
        throw new LineError(
          `authentication option not in name=value format: ${token.text}`,
          'Write options as name=value; quote values with spaces or commas.',
        );
      const name = token.text.slice(0, eq);
      const value = token.text.slice(eq + 1);
      const error = checkOption(name, value, { type, method, major: traits.major });
      if (error) throw new LineError(error);
      options[name] = value;
    }
  }
  const methodCheck = checkMethodOptions(method, options, traits.oauthValidatorLibraries);
  if (methodCheck.error) throw new LineError(methodCheck.error, methodCheck.hint);
  return {
    source: { file: tl.file, line: tl.line, rawLine: tl.rawLine },
    type,
    databases,
    users,
    address,
    method,
    writtenMethod,
    options,
  };
}

/** Parses a pg_hba.conf (and whatever it includes) for a server of `traits.major` (default 18). */
export function parseHbaFile(file: string, opts: ParseOptions = {}): ParsedHba {
  const traits: ServerTraits = { major: 18, ...opts.traits };
  const tokenized = tokenizeAuthFile(file, { major: traits.major, reader: opts.reader, text: opts.text });
  const problems: AuthFileProblem[] = [...tokenized.warnings];
  const rules: HbaRule[] = [];
  for (const tl of tokenized.lines) {
    if (tl.error) {
      problems.push({ file: tl.file, line: tl.line, severity: 'error', message: tl.error });
      continue;
    }
    try {
      const warn = (message: string, hint?: string): void => {
        problems.push({ file: tl.file, line: tl.line, severity: 'warning', message, hint });
      };
      rules.push({ ...parseRecord(tl, traits, warn), ruleNumber: rules.length + 1 });
    } catch (err) {
      if (!(err instanceof LineError)) throw err;
      problems.push({ file: tl.file, line: tl.line, severity: 'error', message: err.message, hint: err.hint });
    }
  }
  if (rules.length === 0 && !problems.some((p) => p.severity === 'error')) {
    problems.push({
      file,
      line: 0,
      severity: 'error',
      message: `configuration file "${file}" contains no entries`,
      hint: 'Add at least one record; without one nobody can connect.',
    });
  }
  const fileOrder = (f: string): number => tokenized.files.indexOf(f);
  problems.sort((a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line);
  return { rules, problems, files: tokenized.files };
}
