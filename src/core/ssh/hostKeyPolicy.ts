/**
 * OpenSSH's StrictHostKeyChecking=accept-new for pgops: the user's and the system's known_hosts are
 * read, never written; a host listed nowhere is accepted and recorded in pgops' own known_hosts; a
 * listed host must present a listed key. Refusals say what OpenSSH's warnings say, with file:line.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgOpsError } from '../errors';
import type { KnownHostsEntry, ParsedKnownHosts } from './knownHosts';
import { checkHostKey, keyBlobType, keyTypeLabel, knownHostsName, parseKnownHosts, sshFingerprint } from './knownHosts';

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME || os.homedir();
}

/** pgops' own known_hosts: `$XDG_CONFIG_HOME/pgops/known_hosts`, by default `~/.config/pgops/known_hosts`. */
export function pgopsKnownHostsFile(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // the XDG spec says to ignore a relative path
  return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(homeOf(env), '.config'), 'pgops', 'known_hosts');
}

/** OpenSSH's default UserKnownHostsFile and GlobalKnownHostsFile: read by pgops, never written. */
export function openSshKnownHostsFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const ssh = path.join(homeOf(env), '.ssh');
  return [
    path.join(ssh, 'known_hosts'),
    path.join(ssh, 'known_hosts2'),
    '/etc/ssh/ssh_known_hosts',
    '/etc/ssh/ssh_known_hosts2',
  ];
}

/** Every line of the files that exist; a file that exists but cannot be read is an error (it may revoke a key). */
export function readKnownHostsFiles(files: string[]): ParsedKnownHosts {
  const all: ParsedKnownHosts = { entries: [], skipped: [] };
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new PgOpsError(
        'ssh-known-hosts',
        `Cannot read the known_hosts file ${file}: ${(err as Error).message}`,
        'Make it readable by this user (it may list revoked keys, so pgops will not connect without it), or move it away.',
        { cause: err },
      );
    }
    const parsed = parseKnownHosts(text, file);
    all.entries.push(...parsed.entries);
    all.skipped.push(...parsed.skipped);
  }
  return all;
}

/** Host names and addresses (IPv6 with a zone too); OpenSSH refuses to record names with pattern or quoting characters. */
const recordable = /^[A-Za-z0-9._:%-]+$/;

/** Appends `name keytype base64` to pgops' own file: folder 0700, file 0600, one O_APPEND write. */
export function recordHostKey(file: string, host: string, port: number, key: Buffer): void {
  const line = `${knownHostsName(host, port)} ${keyBlobType(key)} ${key.toString('base64')}\n`;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const { O_RDWR, O_APPEND, O_CREAT } = fs.constants;
  const fd = fs.openSync(file, O_RDWR | O_APPEND | O_CREAT, 0o600);
  try {
    const { size } = fs.fstatSync(fd);
    const last = Buffer.alloc(1);
    const newline = size > 0 && fs.readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a ? '\n' : '';
    fs.writeSync(fd, `${newline}${line}`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export type HostKeyDecision = { accepted: true; note?: string } | { accepted: false; error: PgOpsError };

const nothingSent = 'pgops sent nothing and did not sign in.';

function describeKey(key: Buffer): string {
  return `${keyTypeLabel(keyBlobType(key) ?? '?')} key ${sshFingerprint(key)}`;
}

const at = (e: KnownHostsEntry) => `${e.file}:${e.line}`;

/** `ssh-keyscan`'s -t name for a key type */
function keyscanType(keyType: string): string {
  return keyType === 'ssh-ed25519'
    ? 'ed25519'
    : keyType === 'ssh-rsa'
      ? 'rsa'
      : keyType.startsWith('ecdsa-')
        ? 'ecdsa'
        : keyType;
}

/**
 * Decides on the key a host presented, as OpenSSH's accept-new does, and records a new host in
 * `ownFile`. Refusals are errors naming the file and line; acceptance of a new host is a note.
 */
export function decideHostKey(
  entries: KnownHostsEntry[],
  ownFile: string,
  host: string,
  port: number,
  key: Buffer,
): HostKeyDecision {
  const name = knownHostsName(host, port);
  const verdict = checkHostKey(entries, host, port, key);
  switch (verdict.status) {
    case 'known':
      return { accepted: true };
    case 'new': {
      if (!recordable.test(host)) {
        return {
          accepted: false,
          error: new PgOpsError(
            'ssh-host-key',
            `The SSH host "${host}" is not in known_hosts, and its name cannot be recorded there`,
            `Give the host as a plain name or address (letters, digits, ".", "-", ":"). ${nothingSent}`,
          ),
        };
      }
      const accepted = `SSH host key of ${name} was not known: accepted its ${describeKey(key)}`;
      try {
        recordHostKey(ownFile, host, port, key);
        return { accepted: true, note: `${accepted} and recorded it in ${ownFile}` };
      } catch (err) {
        return {
          accepted: true,
          note: `${accepted}, but could not record it in ${ownFile}: ${(err as Error).message}`,
        };
      }
    }
    case 'changed':
      return {
        accepted: false,
        error: new PgOpsError(
          'ssh-host-key',
          `The SSH host key of ${name} has changed: the host sent ${describeKey(key)}, ` +
            `but ${at(verdict.entry)} lists ${describeKey(verdict.entry.key)} for it`,
          `Someone could be intercepting the connection (man-in-the-middle), or the host's key was replaced. ${nothingSent} ` +
            "If the change is expected, confirm the new fingerprint with the host's administrator, " +
            `remove the old key (ssh-keygen -R '${name}' -f ${verdict.entry.file}) and connect again.`,
        ),
      };
    case 'revoked':
      return {
        accepted: false,
        error: new PgOpsError(
          'ssh-host-key',
          `The SSH host key of ${name} (${describeKey(key)}) is revoked: @revoked in ${at(verdict.entry)}`,
          `A revoked key may be a stolen key used to impersonate the host. ${nothingSent} Ask the host's administrator for its current key.`,
        ),
      };
    case 'cert-authority-only': {
      const type = keyBlobType(key) ?? '?';
      return {
        accepted: false,
        error: new PgOpsError(
          'ssh-host-key',
          `The SSH host ${name} is trusted through a certificate authority (@cert-authority in ` +
            `${at(verdict.entry)}), and pgops cannot verify host certificates`,
          `pgops' SSH library (ssh2) cannot negotiate OpenSSH host certificates, so the CA cannot vouch for the host here. ${nothingSent} ` +
            `To trust the host's plain key, add its line to ${ownFile}: \`ssh-keyscan -p ${port} -t ${keyscanType(type)} ${host}\` prints it; ` +
            `first confirm with the host's administrator that its fingerprint is ${sshFingerprint(key)} (${keyTypeLabel(type)}).`,
        ),
      };
    }
  }
}
