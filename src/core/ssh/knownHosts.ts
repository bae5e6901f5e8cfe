/**
 * OpenSSH's known_hosts format (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT") and its host key check:
 * markers, host patterns with `*`/`?` wildcards and `!` negation, `[host]:port` names, hashed
 * `|1|salt|hash` names, and the verdict OpenSSH's check_host_key reaches for a presented key.
 */
import * as crypto from 'node:crypto';

export type KnownHostsMarker = 'revoked' | 'cert-authority';

/** One usable line of a known_hosts file. */
export interface KnownHostsEntry {
  file: string;
  /** 1-based */
  line: number;
  marker?: KnownHostsMarker;
  /** the host field as written: a comma list of patterns, or one hashed name */
  hosts: string;
  /** the key's type as its blob names it, e.g. ssh-ed25519 */
  keyType: string;
  /** the public key blob */
  key: Buffer;
}

export interface ParsedKnownHosts {
  entries: KnownHostsEntry[];
  /** lines that OpenSSH would skip too, each named by file:line and why */
  skipped: string[];
}

/** The first string of an SSH public key blob: its type. */
export function keyBlobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || blob.length < 4 + len) return undefined;
  return blob.subarray(4, 4 + len).toString('latin1');
}

function parseLine(text: string): { marker?: KnownHostsMarker; hosts: string; keyType: string; key: Buffer } | string {
  let rest = text;
  let marker: KnownHostsMarker | undefined;
  if (rest.startsWith('@')) {
    const m = rest.match(/^@(\S+)[ \t]+/);
    if (!m || (m[1] !== 'revoked' && m[1] !== 'cert-authority'))
      return 'an unknown marker (only @revoked and @cert-authority exist)';
    marker = m[1];
    rest = rest.slice(m[0].length);
    if (rest.startsWith('@')) return 'more than one marker';
  }
  const [hosts, keyType, base64] = rest.split(/[ \t]+/);
  if (!keyType || keyType.startsWith('#')) return 'no key after the host names';
  if (!base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return `no base64 key after "${keyType}"`;
  const key = Buffer.from(base64, 'base64');
  const blobType = keyBlobType(key);
  if (blobType !== keyType) return `the key is not a ${keyType} key`;
  return { marker, hosts, keyType, key };
}

/** Reads a known_hosts text the way OpenSSH does: comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const skipped: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#')) return;
    const parsed = parseLine(line);
    if (typeof parsed === 'string') skipped.push(`${file}:${i + 1} skipped: ${parsed}`);
    else entries.push({ file, line: i + 1, ...parsed });
  });
  return { entries, skipped };
}

/** OpenSSH's match_pattern: `*` is any run of characters, `?` any one character, the rest literal. */
export function wildcardMatches(pattern: string, s: string): boolean {
  // greedy with one backtrack point (the last `*`): linear in practice, never exponential
  let p = 0;
  let i = 0;
  let star = -1;
  let starAt = 0;
  while (i < s.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === s[i])) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      starAt = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++starAt;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** OpenSSH's match_pattern_list: a negated pattern that matches vetoes the whole list. Case-insensitive. */
export function patternListMatches(list: string, name: string): boolean {
  const s = name.toLowerCase();
  let positive = false;
  for (const item of list.split(',')) {
    const negated = item.startsWith('!');
    if (!wildcardMatches((negated ? item.slice(1) : item).toLowerCase(), s)) continue;
    if (negated) return false;
    positive = true;
  }
  return positive;
}

/** A hashed host field `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` is one name, exactly. */
function hashedNameMatches(field: string, name: string): boolean {
  const m = field.match(/^\|1\|([A-Za-z0-9+/]+={0,2})\|([A-Za-z0-9+/]+={0,2})$/);
  if (!m) return false;
  const salt = Buffer.from(m[1], 'base64');
  if (salt.length !== 20) return false;
  return crypto.createHmac('sha1', salt).update(name.toLowerCase()).digest('base64') === m[2];
}

/** Does a line's host field name this host (`host`, or `[host]:port` off port 22)? */
export function hostFieldMatches(hosts: string, name: string): boolean {
  return hosts.startsWith('|') ? hashedNameMatches(hosts, name) : patternListMatches(hosts, name);
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` elsewhere; lower case. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** `SHA256:…` as ssh-keygen -l prints it. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The short type OpenSSH's messages use: ED25519, ECDSA, RSA… */
export function keyTypeLabel(keyType: string): string {
  const labels: Record<string, string> = {
    'ssh-ed25519': 'ED25519',
    'ssh-rsa': 'RSA',
    'ssh-dss': 'DSA',
    'sk-ssh-ed25519@openssh.com': 'ED25519-SK',
    'sk-ecdsa-sha2-nistp256@openssh.com': 'ECDSA-SK',
  };
  return labels[keyType] ?? (keyType.startsWith('ecdsa-sha2-') ? 'ECDSA' : keyType);
}

export type HostKeyVerdict =
  /** a plain line lists this key for the host */
  | { status: 'known'; entry: KnownHostsEntry }
  /** no plain line names the host (nor a @cert-authority line): accept-new may take it */
  | { status: 'new' }
  /** plain lines name the host, none with this key; `entry` is the last of them, as OpenSSH reports */
  | { status: 'changed'; entry: KnownHostsEntry }
  /** a @revoked line that names the host lists this key */
  | { status: 'revoked'; entry: KnownHostsEntry }
  /** only @cert-authority lines name the host: its key could only be trusted through a certificate */
  | { status: 'cert-authority-only'; entry: KnownHostsEntry };

/**
 * OpenSSH's check_host_key for a plain (not certificate) host key, under the name `[host]:port` off
 * port 22. As OpenSSH does, a host new under that name is known when a plain line for the bare host
 * name lists the key ("checking without port identifier"). Stricter than OpenSSH: a @revoked line for
 * either name refuses the key, and a host that only @cert-authority lines cover is not "new".
 */
export function checkHostKey(entries: KnownHostsEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const names = port === 22 ? [name] : [name, knownHostsName(host, 22)];
  const forName = (n: string) => entries.filter((e) => hostFieldMatches(e.hosts, n));
  const revoked = names.flatMap(forName).find((e) => e.marker === 'revoked' && e.key.equals(key));
  if (revoked) return { status: 'revoked', entry: revoked };
  const matching = forName(name);
  const plain = matching.filter((e) => e.marker === undefined);
  const known = plain.find((e) => e.key.equals(key));
  if (known) return { status: 'known', entry: known };
  if (plain.length > 0) return { status: 'changed', entry: plain[plain.length - 1] };
  if (names.length > 1) {
    const portless = forName(names[1]).find((e) => e.marker === undefined && e.key.equals(key));
    if (portless) return { status: 'known', entry: portless };
  }
  const ca = matching.find((e) => e.marker === 'cert-authority');
  return ca ? { status: 'cert-authority-only', entry: ca } : { status: 'new' };
}

/** The host key algorithms for each plain key type (RSA keys sign with SHA-2 since RFC 8332). */
function algorithmsFor(keyType: string): string[] {
  return keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
}

/**
 * OpenSSH's order_hostkeyalgs: the algorithms of key types known for this host first, so that a host
 * listed by, say, its RSA key is asked for that key and not taken for changed.
 */
export function preferredHostKeyAlgorithms<A extends string>(
  entries: KnownHostsEntry[],
  host: string,
  port: number,
  supported: readonly A[],
): A[] {
  const name = knownHostsName(host, port);
  const known = new Set(
    entries
      .filter((e) => e.marker === undefined && hostFieldMatches(e.hosts, name))
      .flatMap((e) => algorithmsFor(e.keyType)),
  );
  return [...supported.filter((a) => known.has(a)), ...supported.filter((a) => !known.has(a))];
}
