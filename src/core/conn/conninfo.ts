import { PgOpsError } from '../errors';
import type { ConnParams } from './params';
import { checkKeyword } from './params';

/**
 * Parsers for the two connection-string forms libpq reads (fe-connect.c: conninfo_parse and
 * conninfo_uri_parse_options), with libpq's rules and wording. Error messages name the input
 * without its secrets: a URI is shown with its password masked.
 */

const uriPrefixes = ['postgresql://', 'postgres://'];

export function isUri(s: string): boolean {
  return uriPrefixes.some((p) => s.startsWith(p));
}

/** psql's reading of a connection argument: a URI, a keyword/value string, or a bare database name. */
export function parseConnString(input: string): ConnParams {
  if (isUri(input)) return parseUri(input);
  if (input.includes('=')) return parseKeywordValue(input);
  return input === '' ? {} : { dbname: input };
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** `host=a port=5432 dbname='my db'`: whitespace-separated, optional single quotes, backslash escapes. */
export function parseKeywordValue(input: string): ConnParams {
  const out: ConnParams = {};
  let i = 0;
  const n = input.length;
  while (i < n) {
    while (isSpace(input[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && input[i] !== '=' && !isSpace(input[i])) i++;
    const key = input.slice(keyStart, i);
    while (isSpace(input[i])) i++;
    if (input[i] !== '=') {
      throw new PgOpsError(
        'conninfo',
        `missing "=" after "${key}" in connection info string`,
        'Write keyword=value pairs separated by spaces, e.g. host=db1 port=5432 dbname=app.',
      );
    }
    i++;
    while (isSpace(input[i])) i++;
    let value = '';
    if (input[i] === "'") {
      i++;
      for (;;) {
        if (i >= n) {
          throw new PgOpsError(
            'conninfo',
            `unterminated quoted string in connection info string (value of "${key}")`,
            "Close the single quote; write \\' for a quote inside a value.",
          );
        }
        const c = input[i];
        if (c === '\\') {
          i++;
          if (i < n) value += input[i++];
          continue;
        }
        if (c === "'") {
          i++;
          break;
        }
        value += c;
        i++;
      }
    } else {
      while (i < n && !isSpace(input[i])) {
        if (input[i] === '\\') {
          i++;
          if (i < n) value += input[i++];
        } else {
          value += input[i++];
        }
      }
    }
    checkKeyword(key, 'the connection info string');
    out[key] = value;
  }
  return out;
}

/** `postgresql://user:pw@host1:5432,[::1]:5433/db?sslmode=require` with percent-decoding. */
export function parseUri(uri: string): ConnParams {
  const prefix = uriPrefixes.find((p) => uri.startsWith(p));
  if (!prefix) throw uriError('the URI must start with postgresql:// or postgres://', uri);
  const out: ConnParams = {};
  let p = prefix.length;
  // libpq looks ahead for "@" up to the first "/" to find user credentials.
  let look = p;
  while (look < uri.length && uri[look] !== '@' && uri[look] !== '/') look++;
  if (uri[look] === '@') {
    const cred = uri.slice(p, look);
    const colon = cred.indexOf(':');
    const user = colon >= 0 ? cred.slice(0, colon) : cred;
    if (user) out.user = decode(user, uri);
    if (colon >= 0 && cred.length > colon + 1) out.password = decode(cred.slice(colon + 1), uri);
    p = look + 1;
  }
  const hosts: string[] = [];
  const ports: string[] = [];
  let stop = '';
  for (;;) {
    let host: string;
    if (uri[p] === '[') {
      const close = uri.indexOf(']', p + 1);
      if (close < 0) throw uriError('end of string reached when looking for matching "]" in IPv6 host address', uri);
      if (close === p + 1) throw uriError('IPv6 host address may not be empty', uri);
      host = uri.slice(p + 1, close);
      p = close + 1;
      if (p < uri.length && !':/?,'.includes(uri[p])) {
        throw uriError(`unexpected character "${uri[p]}" at position ${p + 1} (expected ":" or "/")`, uri);
      }
    } else {
      const start = p;
      while (p < uri.length && !':/?,'.includes(uri[p])) p++;
      host = uri.slice(start, p);
    }
    hosts.push(host);
    stop = uri[p] ?? '';
    let port = '';
    if (stop === ':') {
      const start = ++p;
      while (p < uri.length && !'/?,'.includes(uri[p])) p++;
      port = uri.slice(start, p);
      stop = uri[p] ?? '';
    }
    ports.push(port);
    if (stop !== ',') break;
    p++;
  }
  const hostList = hosts.join(',');
  const portList = ports.join(',');
  if (hostList) out.host = decode(hostList, uri);
  // Like libpq, "a,b" stores port ",": every host gets the compiled default port, not PGPORT.
  if (portList) out.port = decode(portList, uri);
  if (stop === '/') {
    const start = ++p;
    while (p < uri.length && uri[p] !== '?') p++;
    const dbname = uri.slice(start, p);
    if (dbname) out.dbname = decode(dbname, uri);
    stop = uri[p] ?? '';
  }
  if (stop === '?') Object.assign(out, parseUriQuery(uri.slice(p + 1), uri));
  return out;
}

function parseUriQuery(query: string, uri: string): ConnParams {
  const out: ConnParams = {};
  if (query === '') return out;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw uriError(`missing key/value separator "=" in URI query parameter "${maskPair(pair)}"`, uri);
    if (pair.indexOf('=', eq + 1) >= 0)
      throw uriError(`extra key/value separator "=" in URI query parameter "${maskPair(pair.slice(0, eq))}"`, uri);
    let key = decode(pair.slice(0, eq), uri);
    let value = decode(pair.slice(eq + 1), uri);
    // libpq's JDBC compatibility: ssl=true means sslmode=require.
    if (key === 'ssl' && value === 'true') {
      key = 'sslmode';
      value = 'require';
    }
    try {
      checkKeyword(key, 'the URI');
    } catch {
      throw uriError(`invalid URI query parameter "${key}"`, uri);
    }
    out[key] = value;
  }
  return out;
}

function maskPair(s: string): string {
  return /password|secret/i.test(s) ? s.replace(/=.*/, '=…') : s;
}

function decode(s: string, uri: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '%') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const hex = s.slice(i + 1, i + 3);
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw uriError(`invalid percent-encoded token "${s.slice(i, i + 3)}"`, uri);
    const b = parseInt(hex, 16);
    if (b === 0) throw uriError('forbidden value %00 in percent-encoded value', uri);
    bytes.push(b);
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The URI with any password replaced, so an error can quote the input safely. */
export function maskUri(uri: string): string {
  return uri
    .replace(/^(postgres(?:ql)?:\/\/[^@/]*?:)[^@/]*@/, '$1********@')
    .replace(/([?&](?:password|sslpassword|oauth_client_secret)=)[^&]*/g, '$1********');
}

function uriError(what: string, uri: string): PgOpsError {
  return new PgOpsError(
    'conninfo',
    `Malformed connection URI "${maskUri(uri)}": ${what}`,
    'Use postgresql://[user@][host][:port][,host[:port]…][/dbname][?keyword=value&…] and percent-encode special characters (e.g. %2F ' +
      'for / in a socket path); a password is better kept in ~/.pgpass or Secret Storage than in the URI.',
  );
}

/** Quotes a keyword/value string the way libpq reads it back. */
export function formatKeywordValue(p: ConnParams): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${quoteValue(v)}`)
    .join(' ');
}

function quoteValue(v: string): string {
  if (v !== '' && !/[\s'\\]/.test(v)) return v;
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
